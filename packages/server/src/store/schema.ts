// Timestamps are ISO-8601 strings with milliseconds in UTC ("2026-01-02T03:04:05.678Z") and
// booleans are 0/1 integers in both dialects: one set of migrations and one query layer serve
// SQLite and PostgreSQL, and the fixed-width timestamp text sorts and compares chronologically.

export interface ApiKeyTable {
  id: string;
  name: string;
  /** SHA-256 of the whole secret, hex. The secret itself is never stored. */
  secret_hash: string;
  /** The first characters of the secret, to recognise a key in listings. */
  secret_prefix: string;
  /** `cli`, `env` (PALAVER_API_KEY) or `first_start`. */
  origin: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface SigningKeyTable {
  /** The key id (`kid`) used in token headers. */
  id: string;
  algorithm: string;
  private_jwk: string;
  public_jwk: string;
  created_at: string;
}

export interface RoomTable {
  id: string;
  unique_name: string | null;
  max_participants: number;
  enable_recording: number;
  webhook_event_url: string | null;
  webhook_event_failover_url: string;
  webhook_timeout_secs: number | null;
  created_at: string;
  updated_at: string;
  /** Deleted rooms are kept as rows so their sessions keep their history; the API hides them. */
  deleted_at: string | null;
}

export interface RoomSessionTable {
  id: string;
  room_id: string;
  active: number;
  created_at: string;
  updated_at: string;
  ended_at: string | null;
}

export interface RoomParticipantTable {
  id: string;
  session_id: string;
  context: string | null;
  joined_at: string;
  updated_at: string;
  left_at: string | null;
}

export interface WebhookSigningKeyTable {
  /** The key slot; `primary` signs every delivery. */
  id: string;
  algorithm: string;
  /** PKCS#8 DER, base64. */
  private_key: string;
  /** The raw 32-byte Ed25519 public key, base64, as receivers configure it. */
  public_key: string;
  created_at: string;
}

export interface WebhookRoomQueueTable {
  room_id: string;
  /** The sequence number of the room's latest event; the next one gets this plus one. */
  last_sequence: number;
  /** Events of the room still to be sent. */
  pending: number;
  /** When the room's next event may be sent; later than now while backing off. */
  next_attempt_at: string;
  /** The dispatcher sending the room's events now; meaningful while `lease_until` is ahead. */
  lease_owner: string | null;
  lease_until: string;
  updated_at: string;
}

export interface WebhookEventTable {
  /** The event id receivers de-duplicate on (UUID). */
  id: string;
  room_id: string;
  /** 1, 2, 3, … per room, in enqueue order; delivery follows it. */
  sequence: number;
  event_type: string;
  occurred_at: string;
  /** The exact JSON body sent on every attempt. */
  body: string;
  /** `pending`, `delivered` or `gave_up`. */
  status: string;
  /** Attempts made (each tries the primary URL, then the failover URL). */
  attempts: number;
  last_attempt_at: string | null;
  last_error: string | null;
  delivered_at: string | null;
  delivered_url: string | null;
  created_at: string;
  updated_at: string;
  /** JSON `{url, failoverUrl, timeoutSecs}` when the event goes elsewhere than the room's URL. */
  target: string | null;
}

export interface TelephonyConnectorTable {
  /** `cn_…` */
  id: string;
  /** Only `telnyx` for now. */
  provider: string;
  name: string | null;
  /** `whk_…`: the secret part of the connector's webhook URL. */
  webhook_key: string;
  /** A room id or a room's unique_name, as the user gave it; resolved on every call. */
  default_room_id: string | null;
  default_rule_id: string | null;
  region: string | null;
  /** Base64 of the raw 32-byte Ed25519 key Telnyx signs webhooks with; null: no check. */
  telnyx_public_key: string | null;
  /** For hanging calls up through Telnyx's Call Control API. */
  telnyx_api_key: string | null;
  created_at: string;
  updated_at: string;
}

export interface SipRoutingRuleTable {
  id: string;
  name: string;
  /** `inbound` or `outbound`; never changes. */
  type: string;
  /** JSON array of E.164 numbers. */
  numbers: string;
  /** `static` or `dynamic`. */
  room_type: string;
  /** For dynamic rooms: `blank`, `participantNumber`, `sipNumber` or `random`. */
  room_prefix: string | null;
  /** For static rooms: a room id or unique_name. */
  room_id: string | null;
  room_pin: string | null;
  agent_id: string | null;
  /** JSON object. */
  agent_metadata: string | null;
  hide_phone_number: number;
  /** JSON array of strings. */
  tags: string;
  /** JSON object of the settings Palaver keeps but does not act on yet (headers, recording, …). */
  options: string;
  created_at: string;
  updated_at: string;
}

export interface SipRoutingRuleNumberTable {
  /** An E.164 number claimed by one inbound rule. */
  number: string;
  rule_id: string;
}

export interface TelephonyCallTable {
  id: string;
  connector_id: string;
  rule_id: string | null;
  room_id: string | null;
  session_id: string | null;
  participant_id: string | null;
  /** `inbound`. */
  direction: string;
  provider: string;
  from_number: string;
  to_number: string;
  caller_name: string | null;
  hide_phone_number: number;
  agent_id: string | null;
  /** JSON object. */
  agent_metadata: string | null;
  region: string | null;
  /** SHA-256 (hex) of the single-use stream `ref`; null when no stream was offered. */
  ref_hash: string | null;
  ref_expires_at: string | null;
  claimed_at: string | null;
  answered_at: string | null;
  ended_at: string | null;
  /** Last sign of life from the bridge; the reaper ends calls silent for too long. */
  last_seen_at: string | null;
  /** `incoming`, `answered`, `ended`, `missed` or `failed`. */
  status: string;
  hangup_reason: string | null;
  duration_ms: number | null;
  /** Telnyx's CallSid. */
  provider_call_id: string | null;
  provider_account_id: string | null;
  provider_connection_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface SipWebhookTable {
  /** `wh_…` */
  id: string;
  url: string;
  /** JSON array of event names. */
  events: string;
  created_at: string;
  updated_at: string;
}

export interface CallWebhookDeliveryTable {
  id: string;
  /** The event id receivers de-duplicate on; shared by the deliveries of one event. */
  event_id: string;
  webhook_id: string;
  call_id: string;
  event_type: string;
  /** Position of the event in its call's life (started 1, answered 2, ended 3). */
  event_order: number;
  /** The exact JSON body sent and signed on every attempt. */
  body: string;
  /** `pending`, `delivered` or `gave_up`. */
  status: string;
  attempts: number;
  next_attempt_at: string;
  lease_owner: string | null;
  lease_until: string;
  last_error: string | null;
  delivered_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface TelephonySigningKeyTable {
  /** The key slot; `call-webhooks` signs call webhooks. */
  id: string;
  algorithm: string;
  /** PKCS#8 PEM. */
  private_key: string;
  /** SPKI PEM, as published at /v2/public/rsa-public-key. */
  public_key: string;
  created_at: string;
}

export interface RoomRecordingTable {
  id: string;
  room_id: string;
  session_id: string;
  participant_id: string;
  /** The SDK's stream key (`self`, `presentation`) or `audiobridge` for a phone leg. */
  stream_key: string;
  /** `audio` or `video`. */
  type: string;
  codec: string;
  /** `processing`, `completed` or `failed`. */
  status: string;
  /** The raw Janus recording, relative to the recordings folder. */
  source_path: string;
  /** The converted file, relative to the recordings folder, once completed. */
  file_path: string | null;
  duration_ms: number | null;
  size_bytes: number | null;
  attempts: number;
  error: string | null;
  started_at: string;
  ended_at: string | null;
  completed_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface RoomCompositionTable {
  id: string;
  room_id: string;
  session_id: string;
  /** `enqueued`, `processing`, `completed` or `failed`. */
  status: string;
  format: string;
  /** `<width>x<height>`. */
  resolution: string;
  /** JSON of the requested `video_layout` (`{}` for the default grid). */
  video_layout: string;
  webhook_event_url: string | null;
  webhook_event_failover_url: string | null;
  webhook_timeout_secs: number | null;
  /** 0–100. */
  progress: number;
  file_path: string | null;
  duration_ms: number | null;
  size_bytes: number | null;
  attempts: number;
  error: string | null;
  started_at: string | null;
  ended_at: string | null;
  completed_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface Database {
  api_keys: ApiKeyTable;
  signing_keys: SigningKeyTable;
  rooms: RoomTable;
  room_sessions: RoomSessionTable;
  room_participants: RoomParticipantTable;
  webhook_signing_keys: WebhookSigningKeyTable;
  webhook_room_queues: WebhookRoomQueueTable;
  webhook_events: WebhookEventTable;
  telephony_connectors: TelephonyConnectorTable;
  sip_routing_rules: SipRoutingRuleTable;
  sip_routing_rule_numbers: SipRoutingRuleNumberTable;
  telephony_calls: TelephonyCallTable;
  sip_webhooks: SipWebhookTable;
  call_webhook_deliveries: CallWebhookDeliveryTable;
  telephony_signing_keys: TelephonySigningKeyTable;
  room_recordings: RoomRecordingTable;
  room_compositions: RoomCompositionTable;
}
