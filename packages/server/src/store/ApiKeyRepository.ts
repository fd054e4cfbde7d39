import type { Kysely, Selectable } from 'kysely';
import type { ApiKeyTable, Database } from './schema.js';

export type ApiKeyRow = Selectable<ApiKeyTable>;

export class ApiKeyRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insert(row: ApiKeyRow): Promise<void> {
    await this.#db.insertInto('api_keys').values(row).execute();
  }

  async findActiveByHash(secretHash: string): Promise<ApiKeyRow | undefined> {
    return this.#db
      .selectFrom('api_keys')
      .selectAll()
      .where('secret_hash', '=', secretHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
  }

  async findByHash(secretHash: string): Promise<ApiKeyRow | undefined> {
    return this.#db
      .selectFrom('api_keys')
      .selectAll()
      .where('secret_hash', '=', secretHash)
      .executeTakeFirst();
  }

  async list(): Promise<ApiKeyRow[]> {
    return this.#db
      .selectFrom('api_keys')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  async countActive(): Promise<number> {
    const row = await this.#db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('revoked_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Revokes one key by id or by its secret's prefix; returns how many keys it revoked. */
  async revoke(idOrPrefix: string, at: string): Promise<number> {
    const result = await this.#db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('id', '=', idOrPrefix), eb('secret_prefix', '=', idOrPrefix)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Revokes keys of one origin except the one with `keepHash`. */
  async revokeOriginExcept(origin: string, keepHash: string, at: string): Promise<number> {
    const result = await this.#db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('origin', '=', origin)
      .where('secret_hash', '!=', keepHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async reactivate(id: string): Promise<void> {
    await this.#db.updateTable('api_keys').set({ revoked_at: null }).where('id', '=', id).execute();
  }

  async touch(id: string, at: string): Promise<void> {
    await this.#db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
  }
}
