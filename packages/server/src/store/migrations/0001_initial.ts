import type { Kysely, Migration } from 'kysely';
import { sql } from 'kysely';

/** Rooms, sessions, participants, API keys and token signing keys. */
export const initial: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
      .addColumn('secret_prefix', 'text', (c) => c.notNull())
      .addColumn('origin', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('last_used_at', 'text')
      .addColumn('revoked_at', 'text')
      .execute();

    await db.schema
      .createTable('signing_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('algorithm', 'text', (c) => c.notNull())
      .addColumn('private_jwk', 'text', (c) => c.notNull())
      .addColumn('public_jwk', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('rooms')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('unique_name', 'text')
      .addColumn('max_participants', 'integer', (c) => c.notNull())
      .addColumn('enable_recording', 'integer', (c) => c.notNull())
      .addColumn('webhook_event_url', 'text')
      .addColumn('webhook_event_failover_url', 'text', (c) => c.notNull())
      .addColumn('webhook_timeout_secs', 'integer')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('deleted_at', 'text')
      .execute();
    // Unique among live rooms only: a deleted room's name can be used again.
    await db.schema
      .createIndex('rooms_unique_name_live')
      .on('rooms')
      .column('unique_name')
      .unique()
      .where(sql.ref('deleted_at'), 'is', null)
      .execute();
    await db.schema
      .createIndex('rooms_created_at')
      .on('rooms')
      .columns(['created_at', 'id'])
      .execute();

    await db.schema
      .createTable('room_sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('room_id', 'text', (c) => c.notNull().references('rooms.id'))
      .addColumn('active', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('ended_at', 'text')
      .execute();
    await db.schema
      .createIndex('room_sessions_room')
      .on('room_sessions')
      .columns(['room_id', 'created_at'])
      .execute();

    await db.schema
      .createTable('room_participants')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('session_id', 'text', (c) => c.notNull().references('room_sessions.id'))
      .addColumn('context', 'text')
      .addColumn('joined_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('left_at', 'text')
      .execute();
    await db.schema
      .createIndex('room_participants_session')
      .on('room_participants')
      .columns(['session_id', 'joined_at'])
      .execute();
  },
};
