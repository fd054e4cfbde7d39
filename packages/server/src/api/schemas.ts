import { Type } from 'typebox';
import type { Static, TSchema } from 'typebox';

// Wire shapes of Telnyx's Video Rooms API v2, used for validation, serialisation and the
// OpenAPI document alike.

export const Timestamp = Type.String({
  format: 'date-time',
  description: 'ISO-8601, UTC, milliseconds',
});
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
export const Uuid = Type.String({ format: 'uuid' });
export const HttpUrl = Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2048 });

export const RoomParticipantSchema = Type.Object(
  {
    record_type: Type.Literal('room_participant'),
    id: Uuid,
    session_id: Uuid,
    context: Nullable(Type.String()),
    joined_at: Timestamp,
    updated_at: Timestamp,
    left_at: Nullable(Timestamp),
  },
  { description: 'An endpoint that joined a room session.' },
);

export const RoomSessionSchema = Type.Object(
  {
    record_type: Type.Literal('room_session'),
    id: Uuid,
    room_id: Uuid,
    active: Type.Boolean(),
    created_at: Timestamp,
    updated_at: Timestamp,
    ended_at: Nullable(Timestamp),
    participants: Type.Optional(Type.Array(RoomParticipantSchema)),
  },
  { description: 'A period during which participants were in a room.' },
);

export const RoomSchema = Type.Object(
  {
    record_type: Type.Literal('room'),
    id: Uuid,
    unique_name: Nullable(Type.String()),
    max_participants: Type.Integer(),
    enable_recording: Type.Boolean(),
    webhook_event_url: Nullable(Type.String()),
    webhook_event_failover_url: Type.String(),
    webhook_timeout_secs: Nullable(Type.Integer()),
    active_session_id: Nullable(Uuid),
    sessions: Type.Optional(Type.Array(RoomSessionSchema)),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { description: 'A place where participants meet.' },
);

const roomSettings = {
  unique_name: Type.String({ minLength: 1, maxLength: 255 }),
  max_participants: Type.Integer({ minimum: 2, maximum: 50, description: 'Default: 10' }),
  enable_recording: Type.Boolean({ description: 'Default: false' }),
  webhook_event_url: HttpUrl,
  webhook_event_failover_url: Type.Union([HttpUrl, Type.Literal('')], {
    description: 'Default: ""',
  }),
  webhook_timeout_secs: Nullable(Type.Integer({ minimum: 0, maximum: 30 })),
};

export const CreateRoomBody = Type.Object(
  {
    unique_name: Type.Optional(roomSettings.unique_name),
    max_participants: Type.Optional(roomSettings.max_participants),
    enable_recording: Type.Optional(roomSettings.enable_recording),
    webhook_event_url: Type.Optional(roomSettings.webhook_event_url),
    webhook_event_failover_url: Type.Optional(roomSettings.webhook_event_failover_url),
    webhook_timeout_secs: Type.Optional(roomSettings.webhook_timeout_secs),
  },
  { additionalProperties: false },
);
export type CreateRoomBody = Static<typeof CreateRoomBody>;

export const PatchRoomBody = Type.Object(
  {
    unique_name: Type.Optional(roomSettings.unique_name),
    max_participants: Type.Optional(roomSettings.max_participants),
    enable_recording: Type.Optional(roomSettings.enable_recording),
    webhook_event_url: Type.Optional(Nullable(roomSettings.webhook_event_url)),
    webhook_event_failover_url: Type.Optional(Nullable(roomSettings.webhook_event_failover_url)),
    webhook_timeout_secs: Type.Optional(roomSettings.webhook_timeout_secs),
  },
  { additionalProperties: false },
);
export type PatchRoomBody = Static<typeof PatchRoomBody>;

export const GenerateTokenBody = Type.Object(
  {
    token_ttl_secs: Type.Optional(
      Type.Integer({ minimum: 10, maximum: 3600, description: 'Default: 600' }),
    ),
    refresh_token_ttl_secs: Type.Optional(
      Type.Integer({ minimum: 60, maximum: 86400, description: 'Default: 3600' }),
    ),
  },
  { additionalProperties: false },
);
export type GenerateTokenBody = Static<typeof GenerateTokenBody>;

export const RefreshTokenBody = Type.Object(
  {
    refresh_token: Type.String({ minLength: 1, maxLength: 8192 }),
    token_ttl_secs: Type.Optional(
      Type.Integer({ minimum: 10, maximum: 3600, description: 'Default: 600' }),
    ),
  },
  { additionalProperties: false },
);
export type RefreshTokenBody = Static<typeof RefreshTokenBody>;

export const JoinTokensSchema = Type.Object({
  token: Type.String(),
  token_expires_at: Timestamp,
  refresh_token: Type.String(),
  refresh_token_expires_at: Timestamp,
});

export const RefreshedTokenSchema = Type.Object({
  token: Type.String(),
  token_expires_at: Timestamp,
});

export const ErrorBodySchema = Type.Object({
  errors: Type.Array(
    Type.Object({
      code: Type.String(),
      title: Type.String(),
      detail: Type.Optional(Type.String()),
      source: Type.Optional(
        Type.Object({
          pointer: Type.Optional(Type.String()),
          parameter: Type.Optional(Type.String()),
        }),
      ),
      meta: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  ),
});

export const PageMetaSchema = Type.Object({
  page_number: Type.Integer(),
  page_size: Type.Integer(),
  total_pages: Type.Integer(),
  total_results: Type.Integer(),
});

/** `{"data": T}` */
export const Data = <T extends TSchema>(schema: T) => Type.Object({ data: schema });

/** `{"data": T[], "meta": {...}}` */
export const DataPage = <T extends TSchema>(schema: T) =>
  Type.Object({ data: Type.Array(schema), meta: PageMetaSchema });

// Query strings are parsed with bracket nesting: `filter[date_created_at][gte]=…` arrives as
// `{filter: {date_created_at: {gte: …}}}` and `page[size]=…` as `{page: {size: …}}`.

const DateBound = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}(T.*)?$',
  description: 'A date (YYYY-MM-DD, the whole UTC day) or an ISO-8601 date-time',
});
export const TimeFilter = Type.Object(
  {
    eq: Type.Optional(DateBound),
    gte: Type.Optional(DateBound),
    lte: Type.Optional(DateBound),
  },
  { additionalProperties: false },
);

export const PageQuery = Type.Object(
  {
    number: Type.Optional(Type.Integer({ minimum: 1, description: 'Default: 1' })),
    size: Type.Optional(Type.Integer({ minimum: 1, maximum: 250, description: 'Default: 20' })),
  },
  { additionalProperties: false },
);

export const ListRoomsQuery = Type.Object({
  include_sessions: Type.Optional(Type.Boolean()),
  filter: Type.Optional(
    Type.Object(
      {
        date_created_at: Type.Optional(TimeFilter),
        date_updated_at: Type.Optional(TimeFilter),
        unique_name: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
  ),
  page: Type.Optional(PageQuery),
});
export type ListRoomsQuery = Static<typeof ListRoomsQuery>;

export const IncludeSessionsQuery = Type.Object({
  include_sessions: Type.Optional(Type.Boolean()),
});

export const IncludeParticipantsQuery = Type.Object({
  include_participants: Type.Optional(Type.Boolean()),
});

const sessionFilters = {
  date_created_at: Type.Optional(TimeFilter),
  date_updated_at: Type.Optional(TimeFilter),
  date_ended_at: Type.Optional(TimeFilter),
  active: Type.Optional(Type.Boolean()),
};

export const ListRoomSessionsQuery = Type.Object({
  include_participants: Type.Optional(Type.Boolean()),
  filter: Type.Optional(Type.Object(sessionFilters, { additionalProperties: false })),
  page: Type.Optional(PageQuery),
});
export type ListRoomSessionsQuery = Static<typeof ListRoomSessionsQuery>;

export const ListSessionsQuery = Type.Object({
  include_participants: Type.Optional(Type.Boolean()),
  filter: Type.Optional(
    Type.Object(
      { ...sessionFilters, room_id: Type.Optional(Uuid) },
      { additionalProperties: false },
    ),
  ),
  page: Type.Optional(PageQuery),
});
export type ListSessionsQuery = Static<typeof ListSessionsQuery>;

const participantFilters = {
  date_joined_at: Type.Optional(TimeFilter),
  date_updated_at: Type.Optional(TimeFilter),
  date_left_at: Type.Optional(TimeFilter),
  context: Type.Optional(Type.String()),
};

export const ListSessionParticipantsQuery = Type.Object({
  filter: Type.Optional(Type.Object(participantFilters, { additionalProperties: false })),
  page: Type.Optional(PageQuery),
});
export type ListSessionParticipantsQuery = Static<typeof ListSessionParticipantsQuery>;

export const ListParticipantsQuery = Type.Object({
  filter: Type.Optional(
    Type.Object(
      { ...participantFilters, session_id: Type.Optional(Uuid) },
      { additionalProperties: false },
    ),
  ),
  page: Type.Optional(PageQuery),
});
export type ListParticipantsQuery = Static<typeof ListParticipantsQuery>;

// Path ids are not checked for UUID syntax: an id that cannot exist is simply not found (404).
export const RoomIdParams = Type.Object({ room_id: Type.String() });
export const IdParams = Type.Object({ id: Type.String() });
