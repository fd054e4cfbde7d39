import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { PalaverServer } from '../../src/PalaverServer.js';
import { logSink } from '../telephony/support.js';
import { apiClient } from '../support/testServer.js';

const run = promisify(execFile);

export interface MediaTestServer {
  server: PalaverServer;
  url: string;
  api: ReturnType<typeof apiClient>;
  logs: Record<string, any>[];
  close(): Promise<void>;
}

/** A server with Janus on a given data dir (so a second one can take over after a restart). */
export async function startMediaServer(
  dataDir: string,
  apiKey: string,
  env: Record<string, string> = {},
): Promise<MediaTestServer> {
  const logs: Record<string, any>[] = [];
  const config = loadConfig({
    PALAVER_PORT: '0',
    PALAVER_HOST: '127.0.0.1',
    PALAVER_DATA_DIR: dataDir,
    PALAVER_API_KEY: apiKey,
    PALAVER_SESSION_GRACE_SECS: '0.3',
    ...env,
  });
  const server = await PalaverServer.create({
    config,
    logger: pino({ level: 'info' }, logSink(logs)),
    media: true,
  });
  const url = await server.listen();
  return { server, url, api: apiClient(url, apiKey), logs, close: () => server.close() };
}

export function testApiKey(): string {
  return `test_${randomBytes(16).toString('hex')}`;
}

/**
 * A stand-in for a media tool that waits `delaySecs` before running the real one (for every
 * call whose arguments do not include `skipWhen`), so a test can stop the server mid-job. The
 * pause holds none of the tool's pipes, so killing the tool ends it at once.
 */
export function slowTool(dir: string, tool: string, delaySecs: number, skipWhen: string): string {
  const path = join(dir, `slow-${tool}`);
  writeFileSync(
    path,
    `#!/bin/sh\ncase " $* " in *" ${skipWhen} "*) ;; *) sleep ${delaySecs} </dev/null >/dev/null 2>&1 ;; esac\nexec ${tool} "$@"\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

/** Decodes any audio file to mono 16-bit PCM at `rate`. */
export async function decodePcm(path: string, rate: number): Promise<Int16Array> {
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-i', path, '-f', 's16le', '-ac', '1', '-ar', String(rate), 'pipe:1'],
    { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 },
  );
  const bytes = stdout as unknown as Buffer;
  return new Int16Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.length / 2));
}

export interface ProbedStream {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
}

export async function ffprobe(
  path: string,
): Promise<{ durationSecs: number; streams: ProbedStream[] }> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    path,
  ]);
  const parsed = JSON.parse(stdout) as { format: { duration: string }; streams: ProbedStream[] };
  return { durationSecs: Number(parsed.format.duration), streams: parsed.streams };
}
