import type { Kysely, Selectable } from 'kysely';
import type { Database, SigningKeyTable } from './schema.js';

export type SigningKeyRow = Selectable<SigningKeyTable>;

export class SigningKeyRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** All keys, newest first. */
  async list(): Promise<SigningKeyRow[]> {
    return this.#db
      .selectFrom('signing_keys')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
  }

  async insert(row: SigningKeyRow): Promise<void> {
    await this.#db.insertInto('signing_keys').values(row).execute();
  }
}
