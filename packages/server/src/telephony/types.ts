// Domain shapes of the telephony connector. The API presents them in VideoSDK's camelCase wire
// shapes; these are close to that but carry what the domain needs too.

/** Providers a connector can be created for. */
export const CONNECTOR_PROVIDERS = ['telnyx'] as const;
export type ConnectorProvider = (typeof CONNECTOR_PROVIDERS)[number];

export interface Connector {
  id: string;
  provider: ConnectorProvider;
  name: string | null;
  /** The secret URL Telnyx posts voice webhooks to. */
  webhookUrl: string;
  /** A room id or unique_name, as given. */
  defaultRoomId: string | null;
  defaultRuleId: string | null;
  region: string | null;
  /** Base64 of the raw Ed25519 key webhooks must be signed with; null: unsigned webhooks pass. */
  telnyxPublicKey: string | null;
  /** Whether a Telnyx API key is stored (the key itself is never shown). */
  hasTelnyxApiKey: boolean;
  createdAt: string;
  updatedAt: string;
}

/** Settings of a connector; on update, undefined keeps a value and null clears it. */
export interface ConnectorSettings {
  name?: string | null | undefined;
  defaultRoomId?: string | null | undefined;
  defaultRuleId?: string | null | undefined;
  region?: string | null | undefined;
  telnyxPublicKey?: string | null | undefined;
  telnyxApiKey?: string | null | undefined;
}

export const RULE_TYPES = ['inbound', 'outbound'] as const;
export type RuleType = (typeof RULE_TYPES)[number];

export const ROOM_PREFIXES = ['blank', 'participantNumber', 'sipNumber', 'random'] as const;
export type RoomPrefix = (typeof ROOM_PREFIXES)[number];

/** Where a rule puts a call: one fixed room, or a new room per call. */
export type RuleRoom =
  | { type: 'static'; id: string; pin?: string | undefined }
  | { type: 'dynamic'; prefix: RoomPrefix; pin?: string | undefined };

export const INCLUDE_HEADERS = ['ALL', 'SIP_X_HEADERS', 'NONE'] as const;
export type IncludeHeaders = (typeof INCLUDE_HEADERS)[number];

/** Rule settings Palaver stores and returns but does not act on (SIP-trunk features). */
export interface RuleOptions {
  includeHeaders?: IncludeHeaders;
  headers?: Record<string, string>;
  headersToAttributes?: Record<string, string>;
  allowedNumbers?: string[];
  allowedIpAddresses?: string[];
  recording?: boolean;
  dtmf?: boolean;
  noiseCancellation?: boolean;
}

export interface RoutingRule extends RuleOptions {
  id: string;
  name: string;
  type: RuleType;
  numbers: string[];
  room: RuleRoom;
  agentId: string | null;
  agentMetadata: Record<string, unknown> | null;
  hidePhoneNumber: boolean;
  tags: string[];
  createdAt: string;
  updatedAt: string;
}

/** A rule as a request gives it; enumerated values are checked by the service. */
export interface RoutingRuleInput extends Omit<RuleOptions, 'includeHeaders'> {
  name?: string | undefined;
  type?: string | undefined;
  numbers?: string[] | undefined;
  room?:
    | {
        type?: string | undefined;
        id?: string | undefined;
        prefix?: string | undefined;
        pin?: string | undefined;
      }
    | undefined;
  includeHeaders?: string | undefined;
  agentId?: string | null | undefined;
  agentMetadata?: Record<string, unknown> | null | undefined;
  hidePhoneNumber?: boolean | undefined;
  tags?: string[] | undefined;
}

export interface RoutingRuleFilter {
  search?: string | undefined;
  type?: RuleType | undefined;
  ruleIds?: string[] | undefined;
  roomTypes?: ('static' | 'dynamic')[] | undefined;
}

/**
 * A call's life: `incoming` (TeXML answered, waiting for Telnyx's stream to claim it), `answered`
 * (the bridge joined the room), then `ended`; `missed` when no stream claimed it in time or no
 * room was found; `failed` when it was claimed but never joined the room.
 */
export const CALL_STATUSES = ['incoming', 'answered', 'ended', 'missed', 'failed'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

/**
 * Why a call ended (`hangupReason`); docs/telephony.md says when each is used. A status callback
 * from Telnyx may also end a call with its `HangupCause` or `telnyx-<status>`.
 */
export const HANGUP_REASONS = [
  'caller-hangup',
  'stream-closed',
  'stream-idle',
  'stream-flood',
  'unsupported-media',
  /** A moderator removed the phone participant (REST kick). */
  'kicked',
  /** The room's session was ended (REST `actions/end`). */
  'session-ended',
  'room-deleted',
  'room-closed',
  'api-request',
  'server-stopping',
  'bridge-error',
  'media-lost',
  'no-room',
  /** The room had `max_participants` participants already. */
  'room-full',
  'claim-expired',
  'stale',
  'max-duration',
] as const;

export type HangupReason = (typeof HANGUP_REASONS)[number] | (string & {});

export interface Call {
  id: string;
  connectorId: string;
  ruleId: string | null;
  roomId: string | null;
  sessionId: string | null;
  participantId: string | null;
  direction: 'inbound';
  provider: ConnectorProvider;
  from: string;
  to: string;
  /** The caller's display name (Telnyx's CallerId), when sent. */
  callerName: string | null;
  /** The bridge shows the caller's number to the room only when false. */
  hidePhoneNumber: boolean;
  agentId: string | null;
  agentMetadata: Record<string, unknown> | null;
  /** The region whose ingest took the stream; null: this node. */
  region: string | null;
  status: CallStatus;
  hangupReason: string | null;
  /** The voice webhook's arrival. */
  startedAt: string;
  /** The stream's claim deadline; null when none was offered. */
  claimExpiresAt: string | null;
  claimedAt: string | null;
  answeredAt: string | null;
  endedAt: string | null;
  /** From answer to end, in milliseconds; null while open. */
  durationMs: number | null;
  /** Telnyx's identifiers of the call. */
  providerCallId: string | null;
  providerAccountId: string | null;
  providerConnectionId: string | null;
  updatedAt: string;
}

export interface CallFilter {
  roomId?: string | undefined;
  sessionId?: string | undefined;
  id?: string | undefined;
  connectorId?: string | undefined;
  ruleId?: string | undefined;
  statuses?: CallStatus[] | undefined;
  /** Matches from, to or roomId. */
  search?: string | undefined;
  startedFrom?: string | undefined;
  startedTo?: string | undefined;
}

/** Call-lifecycle webhook events a subscription may ask for (VideoSDK's names). */
export const SIP_WEBHOOK_EVENTS = [
  'call-started',
  'call-answered',
  'call-hangup',
  'call-transferred',
  'call-missed',
  'call-update',
  'call-ringing',
  'call-transfer-initiated',
  'call-transfer-accepted',
  'call-transferring',
  'call-transfer-ringing',
  'call-transfer-failed',
  'switch-room-initiated',
  'switch-room-completed',
  'switch-room-failed',
] as const;
export type SipWebhookEvent = (typeof SIP_WEBHOOK_EVENTS)[number];

/** The events Palaver sends today. */
export type CallWebhookType = 'call-started' | 'call-answered' | 'call-hangup' | 'call-missed';

export interface SipWebhook {
  id: string;
  url: string;
  events: SipWebhookEvent[];
  createdAt: string;
  updatedAt: string;
}
