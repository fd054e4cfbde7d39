import type { Migration, MigrationProvider } from 'kysely';
import { initial } from './migrations/0001_initial.js';
import { webhooks } from './migrations/0002_webhooks.js';
import { telephony } from './migrations/0003_telephony.js';
import { recordings } from './migrations/0004_recordings.js';

// Migrations are append-only: a released migration is never edited, a change gets a new file in
// migrations/ and a line here. They use only types both dialects share (text, integer) so that
// one list serves SQLite and PostgreSQL.
const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_webhooks': webhooks,
  '0003_telephony': telephony,
  '0004_recordings': recordings,
};

/** Serves the migrations from code, so the built server needs no migration files on disk. */
export class CodeMigrationProvider implements MigrationProvider {
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(migrations);
  }
}
