import type { Insertable, Kysely, Selectable } from 'kysely';
import type { CallWebhookDeliveryTable, Database } from './schema.js';

/** A delivery due now, with its subscription's current URL (null: the subscription is gone). */
export type DueCallWebhook = Selectable<CallWebhookDeliveryTable> & { url: string | null };

/** The outbox of call webhooks: one row per event and subscription. */
export class CallWebhookOutboxRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insert(
    rows: Insertable<CallWebhookDeliveryTable>[],
    db: Kysely<Database> = this.#db,
  ): Promise<void> {
    if (rows.length > 0) {
      await db.insertInto('call_webhook_deliveries').values(rows).execute();
    }
  }

  /**
   * Pending deliveries due at `now` and not leased, each only when no earlier event of the same
   * call is still pending for the same subscription (so a receiver sees a call's events in order).
   */
  async listDue(now: string, limit: number): Promise<DueCallWebhook[]> {
    return this.#db
      .selectFrom('call_webhook_deliveries as d')
      .leftJoin('sip_webhooks as w', 'w.id', 'd.webhook_id')
      .selectAll('d')
      .select('w.url')
      .where('d.status', '=', 'pending')
      .where('d.next_attempt_at', '<=', now)
      .where('d.lease_until', '<=', now)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('call_webhook_deliveries as e')
              .select('e.id')
              .whereRef('e.webhook_id', '=', 'd.webhook_id')
              .whereRef('e.call_id', '=', 'd.call_id')
              .where('e.status', '=', 'pending')
              .whereRef('e.event_order', '<', 'd.event_order'),
          ),
        ),
      )
      .orderBy('d.next_attempt_at')
      .limit(limit)
      .execute();
  }

  /** Takes the lease of a due delivery; false when another worker was first. */
  async claim(id: string, owner: string, now: string, leaseUntil: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('call_webhook_deliveries')
      .set({ lease_owner: owner, lease_until: leaseUntil, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('lease_until', '<=', now)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async markDelivered(id: string, attempts: number, now: string): Promise<void> {
    await this.#db
      .updateTable('call_webhook_deliveries')
      .set({
        status: 'delivered',
        attempts,
        delivered_at: now,
        lease_owner: null,
        lease_until: now,
        updated_at: now,
      })
      .where('id', '=', id)
      .execute();
  }

  async markFailed(
    id: string,
    attempts: number,
    now: string,
    error: string,
    nextAttemptAt: string,
  ): Promise<void> {
    await this.#db
      .updateTable('call_webhook_deliveries')
      .set({
        attempts,
        last_error: error,
        next_attempt_at: nextAttemptAt,
        lease_owner: null,
        lease_until: now,
        updated_at: now,
      })
      .where('id', '=', id)
      .execute();
  }

  async markGaveUp(id: string, attempts: number, now: string, error: string): Promise<void> {
    await this.#db
      .updateTable('call_webhook_deliveries')
      .set({
        status: 'gave_up',
        attempts,
        last_error: error,
        lease_owner: null,
        lease_until: now,
        updated_at: now,
      })
      .where('id', '=', id)
      .execute();
  }

  /** Gives the lease back without counting an attempt (shutdown). */
  async release(id: string, now: string): Promise<void> {
    await this.#db
      .updateTable('call_webhook_deliveries')
      .set({ lease_owner: null, lease_until: now, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute();
  }

  /** When the earliest pending delivery after `now` is due, if any. */
  async earliestPendingAfter(now: string): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('call_webhook_deliveries')
      .select('next_attempt_at')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '>', now)
      .orderBy('next_attempt_at')
      .executeTakeFirst();
    return row?.next_attempt_at;
  }

  async deleteFinishedBefore(before: string): Promise<number> {
    const result = await this.#db
      .deleteFrom('call_webhook_deliveries')
      .where('status', 'in', ['delivered', 'gave_up'])
      .where('updated_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
