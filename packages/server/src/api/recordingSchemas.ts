import { Type } from 'typebox';
import type { Static } from 'typebox';
import { HttpUrl, Nullable, PageQuery, TimeFilter, Timestamp, Uuid } from './schemas.js';

// Wire shapes of Telnyx's room recordings and room compositions (protocols.md §4.1–4.2).

const RecordingStatus = Type.Union(
  [Type.Literal('processing'), Type.Literal('completed'), Type.Literal('failed')],
  { description: '`failed` (Palaver): the track could not be converted; `error` says why' },
);

export const RoomRecordingSchema = Type.Object(
  {
    record_type: Type.Literal('room_recording'),
    id: Uuid,
    room_id: Uuid,
    session_id: Uuid,
    participant_id: Uuid,
    type: Type.Union([Type.Literal('audio'), Type.Literal('video')]),
    status: RecordingStatus,
    codec: Type.String({ description: 'e.g. `opus`, `vp8`, `h264`' }),
    duration_secs: Nullable(Type.Integer()),
    size_mb: Nullable(Type.Number()),
    download_url: Nullable(
      Type.String({ description: 'A signed link that works for one hour without an API key' }),
    ),
    started_at: Timestamp,
    ended_at: Nullable(Timestamp),
    completed_at: Nullable(Timestamp),
    created_at: Timestamp,
    updated_at: Timestamp,
    stream_key: Type.String({
      description: 'Palaver: the SDK stream key (`self`, `presentation`) or `audiobridge` (phone)',
    }),
    error: Nullable(Type.String()),
  },
  { description: "One participant's audio or video track." },
);

export const VideoRegionSchema = Type.Object(
  {
    x_pos: Type.Optional(Type.Integer({ minimum: 0, description: 'Default: 0' })),
    y_pos: Type.Optional(Type.Integer({ minimum: 0, description: 'Default: 0' })),
    z_pos: Type.Optional(Type.Integer({ minimum: -99, maximum: 99, description: 'Default: 0' })),
    width: Type.Optional(Type.Integer({ minimum: 16 })),
    height: Type.Optional(Type.Integer({ minimum: 16 })),
    max_columns: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    max_rows: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    video_sources: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        maxItems: 1000,
        description: 'Recording ids, or `*` for every video recording not named elsewhere',
      }),
    ),
  },
  { additionalProperties: false },
);

const VideoLayout = Type.Record(Type.String({ minLength: 1, maxLength: 64 }), VideoRegionSchema, {
  maxProperties: 2,
  description: 'Regions by name; at most 2. Default: one grid over the whole video',
});

export const RoomCompositionSchema = Type.Object(
  {
    record_type: Type.Literal('room_composition'),
    id: Uuid,
    room_id: Uuid,
    session_id: Uuid,
    user_id: Nullable(Type.String()),
    status: Type.Union(
      [
        Type.Literal('enqueued'),
        Type.Literal('processing'),
        Type.Literal('completed'),
        Type.Literal('failed'),
      ],
      { description: '`failed` (Palaver): `error` says why' },
    ),
    progress: Type.Integer({ minimum: 0, maximum: 100, description: 'Palaver: percent done' }),
    format: Type.String(),
    resolution: Type.String(),
    duration_secs: Nullable(Type.Integer()),
    size_mb: Nullable(Type.Number()),
    download_url: Nullable(Type.String()),
    started_at: Nullable(Timestamp),
    ended_at: Nullable(Timestamp),
    completed_at: Nullable(Timestamp),
    created_at: Timestamp,
    updated_at: Timestamp,
    video_layout: VideoLayout,
    webhook_event_url: Nullable(Type.String()),
    webhook_event_failover_url: Nullable(Type.String()),
    webhook_timeout_secs: Nullable(Type.Integer()),
    error: Nullable(Type.String()),
  },
  { description: "A session's recordings laid out into one MP4." },
);

export const CreateCompositionBody = Type.Object(
  {
    session_id: Uuid,
    format: Type.Optional(Type.Literal('mp4', { description: 'Default: mp4' })),
    resolution: Type.Optional(
      Type.String({
        pattern: '^\\d+x\\d+$',
        description: 'Default: 1280x720. Each side 16–1280, at most 1280×720 pixels',
      }),
    ),
    video_layout: Type.Optional(VideoLayout),
    webhook_event_url: Type.Optional(HttpUrl),
    webhook_event_failover_url: Type.Optional(Nullable(Type.Union([HttpUrl, Type.Literal('')]))),
    webhook_timeout_secs: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 30 }))),
  },
  { additionalProperties: false },
);
export type CreateCompositionBody = Static<typeof CreateCompositionBody>;

const recordingFilters = Type.Object(
  {
    date_started_at: Type.Optional(TimeFilter),
    date_ended_at: Type.Optional(TimeFilter),
    room_id: Type.Optional(Uuid),
    participant_id: Type.Optional(Uuid),
    session_id: Type.Optional(Uuid),
    status: Type.Optional(RecordingStatus),
    type: Type.Optional(Type.Union([Type.Literal('audio'), Type.Literal('video')])),
    duration_secs: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Recordings at least this long' }),
    ),
  },
  { additionalProperties: false },
);

export const ListRecordingsQuery = Type.Object({
  filter: Type.Optional(recordingFilters),
  page: Type.Optional(PageQuery),
});
export type ListRecordingsQuery = Static<typeof ListRecordingsQuery>;

export const ListCompositionsQuery = Type.Object({
  filter: Type.Optional(
    Type.Object(
      {
        date_created_at: Type.Optional(TimeFilter),
        session_id: Type.Optional(Uuid),
        status: Type.Optional(
          Type.Union([
            Type.Literal('enqueued'),
            Type.Literal('processing'),
            Type.Literal('completed'),
            Type.Literal('failed'),
          ]),
        ),
      },
      { additionalProperties: false },
    ),
  ),
  page: Type.Optional(PageQuery),
});
export type ListCompositionsQuery = Static<typeof ListCompositionsQuery>;

export const BulkDeleteResult = Type.Object({
  data: Type.Object({ room_recordings: Type.Integer() }),
});

export const DownloadQuery = Type.Object({
  expires: Type.Integer(),
  signature: Type.String({ maxLength: 200 }),
});

export const DownloadParams = Type.Object({ id: Uuid });
