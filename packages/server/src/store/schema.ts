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
}
