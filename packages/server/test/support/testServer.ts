import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { PalaverServer } from '../../src/PalaverServer.js';
import { Store } from '../../src/store/Store.js';
import { createDatabase } from './ThrowawayPostgres.js';

export type Dialect = 'sqlite' | 'postgres';
export const DIALECTS: Dialect[] = ['sqlite', 'postgres'];

export interface TestServer {
  server: PalaverServer;
  url: string;
  apiKey: string;
  close(): Promise<void>;
}

/** A fresh database of the dialect: a temp dir for SQLite, a new database on the test server for PostgreSQL. */
export async function freshDatabase(
  dialect: Dialect,
): Promise<{ dataDir: string; databaseUrl: string | undefined; cleanup(): void }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'palaver-test-'));
  const databaseUrl =
    dialect === 'postgres'
      ? await createDatabase(inject('postgresUrl'), `palaver_${randomBytes(6).toString('hex')}`)
      : undefined;
  return { dataDir, databaseUrl, cleanup: () => rmSync(dataDir, { recursive: true, force: true }) };
}

/** Opens a store on a fresh database. */
export async function openTestStore(
  dialect: Dialect,
): Promise<{ store: Store; close(): Promise<void> }> {
  const db = await freshDatabase(dialect);
  const store = await Store.open({ dataDir: db.dataDir, databaseUrl: db.databaseUrl });
  return {
    store,
    close: async () => {
      await store.close();
      db.cleanup();
    },
  };
}

/** Starts a real server on a free loopback port with a known API key; `media` starts Janus too. */
export async function startTestServer(
  dialect: Dialect,
  options: { media?: boolean; env?: Record<string, string> } = {},
): Promise<TestServer> {
  const db = await freshDatabase(dialect);
  const apiKey = `test_${randomBytes(16).toString('hex')}`;
  const config = loadConfig({
    PALAVER_PORT: '0',
    PALAVER_HOST: '127.0.0.1',
    PALAVER_DATA_DIR: db.dataDir,
    PALAVER_API_KEY: apiKey,
    ...(db.databaseUrl !== undefined && { PALAVER_DATABASE_URL: db.databaseUrl }),
    ...options.env,
  });
  const server = await PalaverServer.create({
    config,
    logger: pino({ level: 'silent' }),
    media: options.media ?? false,
  });
  const url = await server.listen();
  return {
    server,
    url,
    apiKey,
    close: async () => {
      await server.close();
      db.cleanup();
    },
  };
}

/** A small JSON client for the REST API. */
export function apiClient(url: string, apiKey: string | undefined) {
  return async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: any; headers: Headers }> => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(apiKey !== undefined && { authorization: `Bearer ${apiKey}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text === '' ? undefined : JSON.parse(text),
      headers: response.headers,
    };
  };
}
