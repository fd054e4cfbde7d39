import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import type { SqliteDatabase } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { InvalidStateError } from '../errors.js';
import { ApiKeyRepository } from './ApiKeyRepository.js';
import { CodeMigrationProvider } from './migrations.js';
import { RoomParticipantRepository } from './RoomParticipantRepository.js';
import { RoomRepository } from './RoomRepository.js';
import { RoomSessionRepository } from './RoomSessionRepository.js';
import type { Database } from './schema.js';
import { SigningKeyRepository } from './SigningKeyRepository.js';

export type StoreDialect = 'sqlite' | 'postgres';

export interface StoreOptions {
  /** `postgres://…` selects PostgreSQL; otherwise SQLite in `dataDir`. */
  databaseUrl?: string | undefined;
  /** Directory of the SQLite file `palaver.db`. */
  dataDir: string;
  logger?: Logger | undefined;
}

/**
 * Palaver's persistent state: SQLite by default, PostgreSQL when a URL is given, behind one
 * query layer. Opening applies pending migrations.
 */
export class Store {
  readonly dialect: StoreDialect;
  readonly apiKeys: ApiKeyRepository;
  readonly signingKeys: SigningKeyRepository;
  readonly rooms: RoomRepository;
  readonly sessions: RoomSessionRepository;
  readonly participants: RoomParticipantRepository;
  readonly #db: Kysely<Database>;
  #closed = false;

  private constructor(db: Kysely<Database>, dialect: StoreDialect) {
    this.#db = db;
    this.dialect = dialect;
    this.apiKeys = new ApiKeyRepository(db);
    this.signingKeys = new SigningKeyRepository(db);
    this.rooms = new RoomRepository(db);
    this.sessions = new RoomSessionRepository(db);
    this.participants = new RoomParticipantRepository(db);
  }

  static async open(options: StoreOptions): Promise<Store> {
    const store = options.databaseUrl
      ? new Store(
          new Kysely<Database>({
            dialect: new PostgresDialect({
              pool: new pg.Pool({ connectionString: options.databaseUrl, max: 10 }),
            }),
          }),
          'postgres',
        )
      : new Store(new Kysely<Database>({ dialect: openSqlite(options.dataDir) }), 'sqlite');
    try {
      await store.migrate(options.logger);
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  /** The query builder, for repositories and tests that insert rows directly. */
  get db(): Kysely<Database> {
    if (this.#closed) {
      throw new InvalidStateError('store closed');
    }
    return this.#db;
  }

  async migrate(logger?: Logger): Promise<void> {
    const migrator = new Migrator({ db: this.#db, provider: new CodeMigrationProvider() });
    const { error, results } = await migrator.migrateToLatest();
    for (const result of results ?? []) {
      if (result.status === 'Success') {
        logger?.info({ migration: result.migrationName }, 'store migration applied');
      }
    }
    if (error !== undefined) {
      throw error instanceof Error ? error : new Error('migration failed', { cause: error });
    }
  }

  /** Resolves when the database answers a trivial query. */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    await this.#db.destroy();
  }
}

function openSqlite(dataDir: string): SqliteDialect {
  mkdirSync(dataDir, { recursive: true });
  const database = new SQLite(join(dataDir, 'palaver.db'));
  // WAL lets the CLI (keys) and the server use the file at the same time.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  return new SqliteDialect({ database: withStatementCache(database) });
}

/**
 * Kysely prepares every query anew, and preparing took about a tenth of a simple API request's
 * time; a prepared statement can be run again with other parameters, so reuse it per SQL text.
 * Safe because every use runs to completion synchronously on one thread (Kysely streams only
 * through `iterate`, which gets a statement of its own).
 */
function withStatementCache(database: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => database.close(),
    prepare(text: string) {
      let statement = cache.get(text);
      if (statement === undefined) {
        statement = database.prepare(text);
        if (cache.size >= 500) {
          cache.clear();
        }
        cache.set(text, statement);
      }
      const shared = statement;
      return {
        reader: shared.reader,
        all: (parameters) => shared.all(parameters),
        run: (parameters) => shared.run(parameters),
        iterate: (parameters) => database.prepare(text).iterate(parameters),
      };
    },
  };
}

/** True when `error` is a unique-constraint violation in either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) {
    return false;
  }
  const code = error.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}
