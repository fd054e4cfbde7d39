import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freeLoopbackPort } from '../../src/net/freeLoopbackPort.js';

/**
 * A PostgreSQL server of Debian's `postgresql` package, started under a temporary directory on a
 * free loopback port for one test run, and removed afterwards.
 */
export class ThrowawayPostgres {
  readonly url: string;
  readonly #dir: string;
  readonly #binDir: string;
  readonly #asPostgres: boolean;
  #stopped = false;

  private constructor(dir: string, binDir: string, port: number, asPostgres: boolean) {
    this.#dir = dir;
    this.#binDir = binDir;
    this.#asPostgres = asPostgres;
    this.url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }

  static async start(): Promise<ThrowawayPostgres> {
    const binDir = findPostgresBinDir();
    const port = await freeLoopbackPort();
    const dir = mkdtempSync(join(tmpdir(), 'palaver-pg-'));
    // initdb refuses to run as root, so as root the server runs as the `postgres` user.
    const asPostgres = process.getuid?.() === 0;
    if (asPostgres) {
      chmodSync(dir, 0o777);
    }
    const pg = new ThrowawayPostgres(dir, binDir, port, asPostgres);
    pg.#run('initdb', ['-D', pg.#dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    pg.#run('pg_ctl', [
      '-D',
      pg.#dataDir,
      '-l',
      join(dir, 'server.log'),
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
      '-w',
      'start',
    ]);
    return pg;
  }

  get #dataDir(): string {
    return join(this.#dir, 'data');
  }

  stop(): void {
    if (this.#stopped) {
      return;
    }
    this.#stopped = true;
    try {
      this.#run('pg_ctl', ['-D', this.#dataDir, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(this.#dir, { recursive: true, force: true });
    }
  }

  #run(tool: string, args: string[]): void {
    const binary = join(this.#binDir, tool);
    const [command, commandArgs] = this.#asPostgres
      ? ['runuser', ['-u', 'postgres', '--', binary, ...args]]
      : [binary, args];
    const result = spawnSync(command, commandArgs, { encoding: 'utf8', cwd: this.#dir });
    if (result.status !== 0) {
      throw new Error(
        `${tool} failed (exit ${String(result.status)}): ${result.stderr || result.stdout}`,
      );
    }
  }
}

function findPostgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = versions[0];
  if (newest === undefined) {
    throw new Error(
      'PostgreSQL server binaries not found under /usr/lib/postgresql; run `bash scripts/setup.sh --tests` as root',
    );
  }
  return join(root, newest, 'bin');
}

/** Creates an empty database on the server and returns its URL. */
export async function createDatabase(serverUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
