import type { Kysely, Migration } from 'kysely';

/** Room webhooks: the signing key, per-room delivery state and the event outbox. */
export const webhooks: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    // One row per key slot; the fixed slot id lets concurrent first starts agree on one key.
    await db.schema
      .createTable('webhook_signing_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('algorithm', 'text', (c) => c.notNull())
      .addColumn('private_key', 'text', (c) => c.notNull())
      .addColumn('public_key', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    // Per-room delivery state. A dispatcher leases a whole room and sends its events one by one,
    // which keeps them in order and keeps other nodes from sending them too; the upsert that
    // numbers a new event also locks this row, so sequence order is commit order.
    await db.schema
      .createTable('webhook_room_queues')
      .addColumn('room_id', 'text', (c) => c.primaryKey().references('rooms.id'))
      .addColumn('last_sequence', 'integer', (c) => c.notNull())
      .addColumn('pending', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', 'text', (c) => c.notNull())
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('webhook_room_queues_due')
      .on('webhook_room_queues')
      .columns(['next_attempt_at'])
      .execute();

    await db.schema
      .createTable('webhook_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('room_id', 'text', (c) => c.notNull().references('rooms.id'))
      .addColumn('sequence', 'integer', (c) => c.notNull())
      .addColumn('event_type', 'text', (c) => c.notNull())
      .addColumn('occurred_at', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('last_attempt_at', 'text')
      .addColumn('last_error', 'text')
      .addColumn('delivered_at', 'text')
      .addColumn('delivered_url', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('webhook_events_room_sequence')
      .on('webhook_events')
      .columns(['room_id', 'sequence'])
      .unique()
      .execute();
    // Finds a room's next event to send: its pending event with the lowest sequence.
    await db.schema
      .createIndex('webhook_events_room_pending')
      .on('webhook_events')
      .columns(['room_id', 'status', 'sequence'])
      .execute();
    await db.schema
      .createIndex('webhook_events_finished')
      .on('webhook_events')
      .columns(['status', 'updated_at'])
      .execute();
  },
};
