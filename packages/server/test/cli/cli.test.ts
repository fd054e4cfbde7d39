import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

// The built entry point, as `npm start` runs it (`npm test` builds before testing).
const MAIN = resolve(import.meta.dirname, '../../dist/main.js');
const run = promisify(execFile);

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'palaver-cli-'));
  dirs.push(dir);
  return dir;
}

function start(dataDir: string, env: Record<string, string> = {}): Promise<Started> {
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
  }
  const child = spawn(process.execPath, [MAIN, 'start'], {
    env: { ...process.env, PALAVER_PORT: '0', PALAVER_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no URL printed:\n${stdout}\n${stderr}`)),
      20_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /Palaver is running at (\S+)/.exec(stdout);
      if (match?.[1] !== undefined && stdout.includes('openapi.json')) {
        clearTimeout(timer);
        resolvePromise({ child, url: match[1], output: () => stdout });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${String(code)}:\n${stdout}\n${stderr}`));
    });
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => {
    if (child.exitCode !== null) {
      r(child.exitCode);
    } else {
      child.once('exit', (code) => r(code));
    }
  });
}

function palaver(dataDir: string, ...args: string[]) {
  return run(process.execPath, [MAIN, ...args], {
    env: { ...process.env, PALAVER_DATA_DIR: dataDir },
  });
}

afterEach(async () => {
  // SIGTERM, so that each server stops its Janus too.
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exitCode(child);
    }
  }
  for (const dir of dirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('palaver start (the entry point of npm start)', () => {
  it('prints the URL and a first API key once, answers /healthz and stops on SIGTERM', async () => {
    const dataDir = tempDir();
    const first = await start(dataDir);
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const key = /API key \(created on first start[^:]*: (\S+)/.exec(first.output())?.[1];
    expect(key).toMatch(/^pvk_/);
    expect(first.output()).toContain(`curl -s -X POST ${first.url}/v2/rooms`);

    const health = await fetch(`${first.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const rooms = await fetch(`${first.url}/v2/rooms`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(rooms.status).toBe(200);

    first.child.kill('SIGTERM');
    expect(await exitCode(first.child)).toBe(0);

    const second = await start(dataDir);
    expect(second.output()).not.toMatch(/created on first start/);
    // The key from the first start still works: it lives in the store.
    const again = await fetch(`${second.url}/v2/rooms`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(again.status).toBe(200);
    second.child.kill('SIGINT');
    expect(await exitCode(second.child)).toBe(0);
  });

  it('uses PALAVER_API_KEY as a key and reports a bad setting clearly', async () => {
    const dataDir = tempDir();
    const secret = 'my-own-secret-key-123';
    const started = await start(dataDir, { PALAVER_API_KEY: secret });
    expect(started.output()).toContain('API key: the value of PALAVER_API_KEY');
    const res = await fetch(`${started.url}/v2/rooms`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(res.status).toBe(200);
    started.child.kill('SIGTERM');
    await exitCode(started.child);

    const failed = await palaver(dataDir, 'start', '--port', '99999').catch((e: unknown) => e);
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toContain('PALAVER_PORT');
  });

  it('creates, lists and revokes API keys from the command line', async () => {
    const dataDir = tempDir();
    const started = await start(dataDir);
    const created = await palaver(dataDir, 'keys', 'create', '--name', 'ci');
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^pvk_/);

    const list = await palaver(dataDir, 'keys', 'list');
    expect(list.stdout).toContain('\tci\tcli\t');
    expect(list.stdout).not.toContain(secret);
    const ok = await fetch(`${started.url}/v2/rooms`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(ok.status).toBe(200);

    const revoked = await palaver(dataDir, 'keys', 'revoke', secret.slice(0, 12));
    expect(revoked.stdout).toContain('revoked 1 key');
    // The server trusts a looked-up key for at most two seconds.
    await new Promise((r) => setTimeout(r, 2100));
    const refused = await fetch(`${started.url}/v2/rooms`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(refused.status).toBe(401);

    const none = await palaver(dataDir, 'keys', 'revoke', 'nothing-like-this').catch(
      (e: unknown) => e,
    );
    expect(none).toMatchObject({ code: 2 });

    const help = await palaver(dataDir, '--help');
    expect(help.stdout).toContain('start');
    expect(help.stdout).toContain('keys');
    const call = await palaver(dataDir, 'call', '--help');
    expect(call.stdout).toContain('<webhookUrl>');
  });
});
