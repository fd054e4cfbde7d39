import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Database, TelephonyConnectorTable } from './schema.js';

export type ConnectorRow = Selectable<TelephonyConnectorTable>;

export class ConnectorRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insert(row: Insertable<TelephonyConnectorTable>): Promise<void> {
    await this.#db.insertInto('telephony_connectors').values(row).execute();
  }

  async find(id: string): Promise<ConnectorRow | undefined> {
    return this.#db
      .selectFrom('telephony_connectors')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async findByWebhookKey(key: string): Promise<ConnectorRow | undefined> {
    return this.#db
      .selectFrom('telephony_connectors')
      .selectAll()
      .where('webhook_key', '=', key)
      .executeTakeFirst();
  }

  /** Every connector, newest first (accounts have a handful). */
  async list(): Promise<ConnectorRow[]> {
    return this.#db
      .selectFrom('telephony_connectors')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
  }

  /** Returns false when there is no connector with this id. */
  async update(id: string, changes: Updateable<TelephonyConnectorTable>): Promise<boolean> {
    const result = await this.#db
      .updateTable('telephony_connectors')
      .set(changes)
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('telephony_connectors')
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
