import type { Kysely, Selectable } from 'kysely';
import type { Database, WebhookEventTable, WebhookSigningKeyTable } from './schema.js';

export type WebhookSigningKeyRow = Selectable<WebhookSigningKeyTable>;
export type WebhookEventRow = Selectable<WebhookEventTable>;
export type WebhookEventStatus = 'pending' | 'delivered' | 'gave_up';

/** A lease that has never been taken or was given back: earlier than any real time. */
export const NO_LEASE = '1970-01-01T00:00:00.000Z';

/** The room settings a delivery needs, read at delivery time so that fixes take effect. */
export interface WebhookTarget {
  webhook_event_url: string | null;
  webhook_event_failover_url: string;
  webhook_timeout_secs: number | null;
}

/** An event that may be delivered now: it is the earliest undelivered event of its room. */
export type DueWebhookEvent = WebhookEventRow & WebhookTarget;

export interface NewWebhookEvent {
  id: string;
  room_id: string;
  sequence: number;
  event_type: string;
  occurred_at: string;
  body: string;
  created_at: string;
}

/**
 * The webhook signing key and the delivery outbox. Every method works on the Kysely instance it
 * was built with, which may be a transaction.
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
   * The room's next event number. In PostgreSQL the upsert locks the counter row until the
   * surrounding transaction ends, so a later number is never committed before an earlier one.
   */
  async nextSequence(roomId: string): Promise<number> {
    const row = await this.#db
      .insertInto('webhook_room_sequences')
      .values({ room_id: roomId, last_sequence: 1 })
      .onConflict((oc) =>
        oc.column('room_id').doUpdateSet((eb) => ({
          last_sequence: eb('webhook_room_sequences.last_sequence', '+', 1),
        })),
      )
      .returning('last_sequence')
      .executeTakeFirstOrThrow();
    return Number(row.last_sequence);
  }

  async insertEvent(event: NewWebhookEvent): Promise<void> {
    await this.#db
      .insertInto('webhook_events')
      .values({
        ...event,
        status: 'pending',
        attempts: 0,
        next_attempt_at: event.created_at,
        lease_owner: null,
        lease_until: NO_LEASE,
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

  /**
   * Pending events that are due and not leased, each the earliest pending event of its room
   * (so at most one per room), oldest schedule first.
   */
  async listDue(now: string, limit: number): Promise<DueWebhookEvent[]> {
    return this.#db
      .selectFrom('webhook_events as e')
      .innerJoin('rooms as r', 'r.id', 'e.room_id')
      .selectAll('e')
      .select(['r.webhook_event_url', 'r.webhook_event_failover_url', 'r.webhook_timeout_secs'])
      .where('e.status', '=', 'pending')
      .where('e.next_attempt_at', '<=', now)
      .where('e.lease_until', '<=', now)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('webhook_events as p')
              .select('p.id')
              .whereRef('p.room_id', '=', 'e.room_id')
              .where('p.status', '=', 'pending')
              .whereRef('p.sequence', '<', 'e.sequence'),
          ),
        ),
      )
      .orderBy('e.next_attempt_at')
      .orderBy('e.sequence')
      .limit(limit)
      .execute();
  }

  /**
   * Takes the lease on an event if it is still exactly as observed (pending, due, unleased, same
   * attempt count). A compare-and-set: of several dispatchers racing, one wins.
   */
  async claim(
    event: Pick<WebhookEventRow, 'id' | 'attempts'>,
    owner: string,
    now: string,
    leaseUntil: string,
  ): Promise<boolean> {
    const result = await this.#db
      .updateTable('webhook_events')
      .set({ lease_owner: owner, lease_until: leaseUntil, updated_at: now })
      .where('id', '=', event.id)
      .where('status', '=', 'pending')
      .where('attempts', '=', event.attempts)
      .where('next_attempt_at', '<=', now)
      .where('lease_until', '<=', now)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async markDelivered(id: string, attempts: number, at: string, url: string): Promise<void> {
    await this.#db
      .updateTable('webhook_events')
      .set({
        status: 'delivered',
        attempts,
        last_attempt_at: at,
        delivered_at: at,
        delivered_url: url,
        lease_owner: null,
        lease_until: NO_LEASE,
        updated_at: at,
      })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute();
  }

  /** Records a failed attempt and gives the lease back until `nextAttemptAt`. */
  async markFailed(
    id: string,
    attempts: number,
    at: string,
    error: string,
    nextAttemptAt: string,
  ): Promise<void> {
    await this.#db
      .updateTable('webhook_events')
      .set({
        attempts,
        last_attempt_at: at,
        last_error: error,
        next_attempt_at: nextAttemptAt,
        lease_owner: null,
        lease_until: NO_LEASE,
        updated_at: at,
      })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute();
  }

  async markGaveUp(id: string, attempts: number, at: string, error: string): Promise<void> {
    await this.#db
      .updateTable('webhook_events')
      .set({
        status: 'gave_up',
        attempts,
        last_attempt_at: at,
        last_error: error,
        lease_owner: null,
        lease_until: NO_LEASE,
        updated_at: at,
      })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute();
  }

  /** Gives a lease back without counting an attempt (the dispatcher is stopping). */
  async releaseLease(id: string, owner: string, at: string): Promise<void> {
    await this.#db
      .updateTable('webhook_events')
      .set({ lease_owner: null, lease_until: NO_LEASE, updated_at: at })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'pending')
      .execute();
  }

  /** The earliest scheduled retry later than `now`, if any. */
  async earliestPendingAttemptAfter(now: string): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('webhook_events')
      .select('next_attempt_at')
      .where('status', '=', 'pending')
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
}
