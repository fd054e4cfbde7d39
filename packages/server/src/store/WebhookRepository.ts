import type { Kysely, Selectable, Updateable } from 'kysely';
import type {
  Database,
  WebhookEventTable,
  WebhookRoomQueueTable,
  WebhookSigningKeyTable,
} from './schema.js';

export type WebhookSigningKeyRow = Selectable<WebhookSigningKeyTable>;
export type WebhookEventRow = Selectable<WebhookEventTable>;
export type WebhookRoomQueueRow = Selectable<WebhookRoomQueueTable>;
export type WebhookEventStatus = 'pending' | 'delivered' | 'gave_up';

/** A lease that has never been taken or was given back: earlier than any real time. */
export const NO_LEASE = '1970-01-01T00:00:00.000Z';

/** The room settings a delivery needs, read before each attempt so that fixes take effect. */
export interface WebhookTarget {
  webhook_event_url: string | null;
  webhook_event_failover_url: string;
  webhook_timeout_secs: number | null;
}

/** A room with events to send, not backing off and not leased. */
export type DueWebhookRoom = Pick<WebhookRoomQueueRow, 'room_id' | 'next_attempt_at'> &
  WebhookTarget;

export interface NewWebhookEvent {
  id: string;
  room_id: string;
  event_type: string;
  occurred_at: string;
  created_at: string;
  target?: string | null;
}

/**
 * The webhook signing key, the per-room delivery queues and the event outbox. Every method works
 * on the Kysely instance it was built with, which may be a transaction.
 */
export class WebhookRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async findSigningKey(id: string): Promise<WebhookSigningKeyRow | undefined> {
    return this.#db
      .selectFrom('webhook_signing_keys')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** Inserts the key unless its slot is taken; the caller then reads whichever key won. */
  async insertSigningKeyIfAbsent(row: WebhookSigningKeyRow): Promise<void> {
    await this.#db
      .insertInto('webhook_signing_keys')
      .values(row)
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async findTarget(roomId: string): Promise<WebhookTarget | undefined> {
    return this.#db
      .selectFrom('rooms')
      .select(['webhook_event_url', 'webhook_event_failover_url', 'webhook_timeout_secs'])
      .where('id', '=', roomId)
      .executeTakeFirst();
  }

  /**
   * Numbers the room's next event and counts it as pending. In PostgreSQL the upsert locks the
   * room's queue row until the surrounding transaction ends, so a later number is never
   * committed before an earlier one. Run it in the same transaction as `insertEvent`.
   */
  async nextSequence(roomId: string, now: string): Promise<number> {
    const row = await this.#db
      .insertInto('webhook_room_queues')
      .values({
        room_id: roomId,
        last_sequence: 1,
        pending: 1,
        next_attempt_at: now,
        lease_owner: null,
        lease_until: NO_LEASE,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.column('room_id').doUpdateSet((eb) => ({
          last_sequence: eb('webhook_room_queues.last_sequence', '+', 1),
          pending: eb('webhook_room_queues.pending', '+', 1),
          updated_at: now,
        })),
      )
      .returning('last_sequence')
      .executeTakeFirstOrThrow();
    return Number(row.last_sequence);
  }

  async insertEvent(event: NewWebhookEvent & { sequence: number; body: string }): Promise<void> {
    await this.#db
      .insertInto('webhook_events')
      .values({
        ...event,
        status: 'pending',
        attempts: 0,
        last_attempt_at: null,
        last_error: null,
        delivered_at: null,
        delivered_url: null,
        updated_at: event.created_at,
      })
      .execute();
  }

  async find(id: string): Promise<WebhookEventRow | undefined> {
    return this.#db
      .selectFrom('webhook_events')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** A room's events in sequence order, for inspection. */
  async listForRoom(roomId: string): Promise<WebhookEventRow[]> {
    return this.#db
      .selectFrom('webhook_events')
      .selectAll()
      .where('room_id', '=', roomId)
      .orderBy('sequence')
      .execute();
  }

  async findQueue(roomId: string): Promise<WebhookRoomQueueRow | undefined> {
    return this.#db
      .selectFrom('webhook_room_queues')
      .selectAll()
      .where('room_id', '=', roomId)
      .executeTakeFirst();
  }

  /** Rooms whose events may be sent now, longest waiting first. */
  async listDueRooms(now: string, limit: number): Promise<DueWebhookRoom[]> {
    return this.#db
      .selectFrom('webhook_room_queues as q')
      .innerJoin('rooms as r', 'r.id', 'q.room_id')
      .select([
        'q.room_id',
        'q.next_attempt_at',
        'r.webhook_event_url',
        'r.webhook_event_failover_url',
        'r.webhook_timeout_secs',
      ])
      .where('q.next_attempt_at', '<=', now)
      .where('q.pending', '>', 0)
      .where('q.lease_until', '<=', now)
      .orderBy('q.next_attempt_at')
      .limit(limit)
      .execute();
  }

  /**
   * Takes the lease on a room if it is still due and unleased: a compare-and-set, so of several
   * dispatchers racing for a room exactly one wins.
   */
  async claimRoom(
    roomId: string,
    owner: string,
    now: string,
    leaseUntil: string,
  ): Promise<boolean> {
    const result = await this.#db
      .updateTable('webhook_room_queues')
      .set({ lease_owner: owner, lease_until: leaseUntil, updated_at: now })
      .where('room_id', '=', roomId)
      .where('pending', '>', 0)
      .where('next_attempt_at', '<=', now)
      .where('lease_until', '<=', now)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Extends a lease this owner still holds; false when another dispatcher has taken the room. */
  async renewLease(
    roomId: string,
    owner: string,
    now: string,
    leaseUntil: string,
  ): Promise<boolean> {
    const result = await this.#db
      .updateTable('webhook_room_queues')
      .set({ lease_until: leaseUntil, updated_at: now })
      .where('room_id', '=', roomId)
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** The room's pending event with the lowest sequence: the only one that may be sent. */
  async headEvent(roomId: string): Promise<WebhookEventRow | undefined> {
    return this.#db
      .selectFrom('webhook_events')
      .selectAll()
      .where('room_id', '=', roomId)
      .where('status', '=', 'pending')
      .orderBy('sequence')
      .limit(1)
      .executeTakeFirst();
  }

  /** Records a 2xx; the room's next event may follow at once. */
  async markDelivered(
    event: Pick<WebhookEventRow, 'id' | 'room_id'>,
    attempts: number,
    at: string,
    url: string,
  ): Promise<void> {
    await this.#finish(event, {
      status: 'delivered',
      attempts,
      last_attempt_at: at,
      delivered_at: at,
      delivered_url: url,
      updated_at: at,
    });
  }

  /** Records that an event will not be sent again; the room's next event may follow at once. */
  async markGaveUp(
    event: Pick<WebhookEventRow, 'id' | 'room_id'>,
    attempts: number,
    at: string,
    error: string,
  ): Promise<void> {
    await this.#finish(event, {
      status: 'gave_up',
      attempts,
      last_attempt_at: at,
      last_error: error,
      updated_at: at,
    });
  }

  async #finish(
    event: Pick<WebhookEventRow, 'id' | 'room_id'>,
    changes: Updateable<WebhookEventTable> & { updated_at: string },
  ): Promise<void> {
    await this.#inTransaction(async (db) => {
      const result = await db
        .updateTable('webhook_events')
        .set(changes)
        .where('id', '=', event.id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) {
        return;
      }
      await db
        .updateTable('webhook_room_queues')
        .set((eb) => ({
          pending: eb('pending', '-', 1),
          next_attempt_at: changes.updated_at,
          updated_at: changes.updated_at,
        }))
        .where('room_id', '=', event.room_id)
        .execute();
    });
  }

  /** Records a failed attempt, schedules the room's retry and gives its lease back. */
  async markFailed(
    event: Pick<WebhookEventRow, 'id' | 'room_id'>,
    attempts: number,
    at: string,
    error: string,
    nextAttemptAt: string,
    owner: string,
  ): Promise<void> {
    await this.#inTransaction(async (db) => {
      await db
        .updateTable('webhook_events')
        .set({ attempts, last_attempt_at: at, last_error: error, updated_at: at })
        .where('id', '=', event.id)
        .where('status', '=', 'pending')
        .execute();
      await db
        .updateTable('webhook_room_queues')
        .set({
          next_attempt_at: nextAttemptAt,
          lease_owner: null,
          lease_until: NO_LEASE,
          updated_at: at,
        })
        .where('room_id', '=', event.room_id)
        .where('lease_owner', '=', owner)
        .execute();
    });
  }

  /** Gives a room's lease back. */
  async releaseRoom(roomId: string, owner: string, at: string): Promise<void> {
    await this.#db
      .updateTable('webhook_room_queues')
      .set({ lease_owner: null, lease_until: NO_LEASE, updated_at: at })
      .where('room_id', '=', roomId)
      .where('lease_owner', '=', owner)
      .execute();
  }

  /**
   * Gives back the lease of a room found without pending events up to `lastSequence`, and sets
   * its count to zero (mending any drift) — unless an event was numbered since, in which case
   * nothing changes and false is returned. A compare-and-set on `last_sequence` rather than a
   * recount, which in PostgreSQL could miss an event committed while the update waited.
   */
  async releaseEmptyRoom(
    roomId: string,
    owner: string,
    at: string,
    lastSequence: number,
  ): Promise<boolean> {
    const result = await this.#db
      .updateTable('webhook_room_queues')
      .set({ pending: 0, lease_owner: null, lease_until: NO_LEASE, updated_at: at })
      .where('room_id', '=', roomId)
      .where('lease_owner', '=', owner)
      .where('last_sequence', '=', lastSequence)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** The earliest scheduled retry later than `now`, if any. */
  async earliestRetryAfter(now: string): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('webhook_room_queues')
      .select('next_attempt_at')
      .where('pending', '>', 0)
      .where('next_attempt_at', '>', now)
      .orderBy('next_attempt_at')
      .limit(1)
      .executeTakeFirst();
    return row?.next_attempt_at;
  }

  async countPending(): Promise<number> {
    const row = await this.#db
      .selectFrom('webhook_events')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('status', '=', 'pending')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Deletes delivered and abandoned events last changed before `before`; returns how many. */
  async deleteFinishedBefore(before: string): Promise<number> {
    const result = await this.#db
      .deleteFrom('webhook_events')
      .where('status', 'in', ['delivered', 'gave_up'])
      .where('updated_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async #inTransaction(work: (db: Kysely<Database>) => Promise<void>): Promise<void> {
    if (this.#db.isTransaction) {
      await work(this.#db);
    } else {
      await this.#db.transaction().execute(work);
    }
  }
}
