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

export interface Database {
  api_keys: ApiKeyTable;
  signing_keys: SigningKeyTable;
  rooms: RoomTable;
  room_sessions: RoomSessionTable;
  room_participants: RoomParticipantTable;
}
