import type { Kysely, Migration } from 'kysely';

/** Recordings of participants' tracks, compositions of sessions, and per-event webhook targets. */
export const recordings: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('room_recordings')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('room_id', 'text', (c) => c.notNull())
      .addColumn('session_id', 'text', (c) => c.notNull())
      .addColumn('participant_id', 'text', (c) => c.notNull())
      .addColumn('stream_key', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('codec', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      // The Janus recording this row comes from, relative to the recordings folder; unique so a
      // file found twice (a rescan, a restart mid-job) is processed into one row.
      .addColumn('source_path', 'text', (c) => c.notNull().unique())
      .addColumn('file_path', 'text')
      .addColumn('duration_ms', 'bigint')
      .addColumn('size_bytes', 'bigint')
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('error', 'text')
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('ended_at', 'text')
      .addColumn('completed_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('room_recordings_session')
      .on('room_recordings')
      .columns(['session_id', 'started_at'])
      .execute();
    await db.schema
      .createIndex('room_recordings_status')
      .on('room_recordings')
      .columns(['status'])
      .execute();

    await db.schema
      .createTable('room_compositions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('room_id', 'text', (c) => c.notNull())
      .addColumn('session_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('resolution', 'text', (c) => c.notNull())
      .addColumn('video_layout', 'text', (c) => c.notNull())
      .addColumn('webhook_event_url', 'text')
      .addColumn('webhook_event_failover_url', 'text')
      .addColumn('webhook_timeout_secs', 'integer')
      .addColumn('progress', 'integer', (c) => c.notNull())
      .addColumn('file_path', 'text')
      .addColumn('duration_ms', 'bigint')
      .addColumn('size_bytes', 'bigint')
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('error', 'text')
      .addColumn('started_at', 'text')
      .addColumn('ended_at', 'text')
      .addColumn('completed_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('room_compositions_status')
      .on('room_compositions')
      .columns(['status', 'created_at'])
      .execute();

    // An event may name its own receiver (a composition's `webhook_event_url`) instead of the
    // room's: JSON `{url, failoverUrl, timeoutSecs}`.
    await db.schema.alterTable('webhook_events').addColumn('target', 'text').execute();
  },
};
