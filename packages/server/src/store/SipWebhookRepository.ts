import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import { sql } from 'kysely';
import type { SipWebhook, SipWebhookEvent } from '../telephony/types.js';
import { paginate } from './filters.js';
import type { Page, PageRequest } from './listQuery.js';
import { escapeLike } from './RoutingRuleRepository.js';
import type { Database, SipWebhookTable } from './schema.js';

export class SipWebhookRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insert(row: Insertable<SipWebhookTable>): Promise<void> {
    await this.#db.insertInto('sip_webhooks').values(row).execute();
  }

  async find(id: string): Promise<SipWebhook | undefined> {
    const row = await this.#db
      .selectFrom('sip_webhooks')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : toWebhook(row);
  }

  /** Every subscription (an account has a handful), for fan-out. */
  async all(db: Kysely<Database> = this.#db): Promise<SipWebhook[]> {
    const rows = await db.selectFrom('sip_webhooks').selectAll().orderBy('created_at').execute();
    return rows.map(toWebhook);
  }

  async list(search: string | undefined, page: PageRequest): Promise<Page<SipWebhook>> {
    let query = this.#db.selectFrom('sip_webhooks').selectAll();
    if (search !== undefined && search !== '') {
      query = query.where('url', 'like', sql<string>`${`%${escapeLike(search)}%`} escape '\\'`);
    }
    return paginate(
      query,
      page,
      (q) => q.orderBy('created_at', 'desc').orderBy('id', 'desc'),
      toWebhook,
    );
  }

  async update(id: string, changes: Updateable<SipWebhookTable>): Promise<boolean> {
    const result = await this.#db
      .updateTable('sip_webhooks')
      .set(changes)
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('sip_webhooks')
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

function toWebhook(row: Selectable<SipWebhookTable>): SipWebhook {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events) as SipWebhookEvent[],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
