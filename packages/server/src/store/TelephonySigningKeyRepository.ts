import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database, TelephonySigningKeyTable } from './schema.js';

export class TelephonySigningKeyRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async find(id: string): Promise<Selectable<TelephonySigningKeyTable> | undefined> {
    return this.#db
      .selectFrom('telephony_signing_keys')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** Stores the key unless the slot is taken already (another node was first). */
  async insertIfAbsent(row: Insertable<TelephonySigningKeyTable>): Promise<void> {
    await this.#db
      .insertInto('telephony_signing_keys')
      .values(row)
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }
}
