import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { PalaverServer } from '../../src/PalaverServer.js';

// What an operator sees in the log for refused requests: one line each, with the error.

describe('request log', () => {
  const lines: Record<string, unknown>[] = [];
  let server: PalaverServer;
  let dataDir: string;
  const key = 'logging-test-key-0123456789';

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'palaver-log-'));
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          lines.push(JSON.parse(line) as Record<string, unknown>);
        }
        done();
      },
    });
    server = await PalaverServer.create({
      config: loadConfig({ PALAVER_PORT: '0', PALAVER_DATA_DIR: dataDir, PALAVER_API_KEY: key }),
      logger: pino({ level: 'info' }, sink),
      media: false,
    });
    await server.listen();
  });
  afterAll(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each([
    ['malformed JSON', '{oops', 400, 'malformed_request'],
    ['an out-of-range value', '{"max_participants":1}', 422, 'invalid_parameter'],
    ['an unknown field', '{"colour":"red"}', 422, 'invalid_parameter'],
  ])(
    'logs one line for %s, with the code and detail the client got',
    async (_what, body, status, code) => {
      lines.length = 0;
      const res = await fetch(`${server.url}/v2/rooms`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body,
      });
      expect(res.status).toBe(status);
      const answer = (await res.json()) as { errors: { detail: string }[] };
      await new Promise((r) => setTimeout(r, 50));
      const requestLines = lines.filter((l) => l.url === '/v2/rooms');
      expect(requestLines).toHaveLength(1);
      expect(requestLines[0]).toMatchObject({
        level: 30,
        msg: 'request refused',
        method: 'POST',
        status,
        error: { code, detail: answer.errors[0]?.detail },
      });
    },
  );

  it('logs nothing at info for a request that succeeds', async () => {
    lines.length = 0;
    const res = await fetch(`${server.url}/v2/rooms`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(lines.filter((l) => l.url === '/v2/rooms')).toEqual([]);
  });
});
