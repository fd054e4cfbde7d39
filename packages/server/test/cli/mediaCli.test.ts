import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/Store.js';

// `palaver compositions …` and `palaver recordings …` read the data dir a server uses: the
// progress of compositions as bars, followed until done, and where the files are.

const MAIN = resolve(import.meta.dirname, '../../dist/main.js');
const run = promisify(execFile);

describe('the recordings and compositions commands', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'palaver-cli-media-'));
  let store: Store;
  const now = new Date().toISOString();
  const roomId = '7b61621f-62e0-4aad-ab11-9fd19e272e73';
  const sessionId = '7b61621f-62e0-4aad-ab11-9fd19e272e74';
  const compositionId = '7b61621f-62e0-4aad-ab11-9fd19e272e75';
  const palaver = (...args: string[]) =>
    run(process.execPath, [MAIN, ...args, '--data-dir', dataDir], { encoding: 'utf8' });

  beforeAll(async () => {
    store = await Store.open({ dataDir });
    await store.rooms.insert({
      id: roomId,
      unique_name: null,
      max_participants: 10,
      enable_recording: 1,
      webhook_event_url: null,
      webhook_event_failover_url: '',
      webhook_timeout_secs: null,
      created_at: now,
      updated_at: now,
      deleted_at: null,
    });
    await store.sessions.insert({
      id: sessionId,
      room_id: roomId,
      active: 0,
      created_at: now,
      updated_at: now,
      ended_at: now,
    });
    await store.db
      .insertInto('room_recordings')
      .values({
        id: '7b61621f-62e0-4aad-ab11-9fd19e272e76',
        room_id: roomId,
        session_id: sessionId,
        participant_id: '7b61621f-62e0-4aad-ab11-9fd19e272e77',
        stream_key: 'self',
        type: 'video',
        codec: 'vp8',
        status: 'completed',
        source_path: 'raw.mjr',
        file_path: `${roomId}/${sessionId}/track.webm`,
        duration_ms: 12_300,
        size_bytes: 1000,
        attempts: 1,
        error: null,
        started_at: now,
        ended_at: now,
        completed_at: now,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await store.db
      .insertInto('room_compositions')
      .values({
        id: compositionId,
        room_id: roomId,
        session_id: sessionId,
        status: 'processing',
        format: 'mp4',
        resolution: '1280x720',
        video_layout: '{}',
        webhook_event_url: null,
        webhook_event_failover_url: null,
        webhook_timeout_secs: null,
        progress: 40,
        file_path: null,
        duration_ms: null,
        size_bytes: null,
        attempts: 1,
        error: null,
        started_at: null,
        ended_at: null,
        completed_at: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists recordings with their lengths and files', async () => {
    const { stdout } = await palaver('recordings', 'list', '--session', sessionId);
    const [header, row] = stdout.trim().split('\n');
    expect(header).toBe('ID\tSESSION\tPARTICIPANT\tTYPE\tSTATUS\tSECONDS\tFILE');
    expect(row?.split('\t').slice(3)).toEqual([
      'video',
      'completed',
      '12.3',
      join(dataDir, 'recordings', roomId, sessionId, 'track.webm'),
    ]);
  });

  it('shows a composition’s progress and follows it to the end', async () => {
    const { stdout } = await palaver('compositions', 'list');
    expect(stdout).toContain(
      `${compositionId}  ${sessionId}  processing  40% [########............]`,
    );

    const watch = spawn(
      process.execPath,
      [MAIN, 'compositions', 'watch', compositionId, '--interval', '100', '--data-dir', dataDir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    watch.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => watch.once('exit', done));
    await expect.poll(() => output, { timeout: 10_000 }).toContain('40%');
    await store.db
      .updateTable('room_compositions')
      .set({ progress: 75 })
      .where('id', '=', compositionId)
      .execute();
    await expect.poll(() => output, { timeout: 10_000 }).toContain('75%');
    await store.db
      .updateTable('room_compositions')
      .set({
        status: 'completed',
        progress: 100,
        file_path: `${roomId}/${sessionId}/compositions/${compositionId}.mp4`,
      })
      .where('id', '=', compositionId)
      .execute();
    expect(await exited).toBe(0);
    expect(output.trim().split('\n')).toEqual([
      'processing  40% [########............]',
      'processing  75% [###############.....]',
      'completed  100% [####################]',
      join(dataDir, 'recordings', roomId, sessionId, 'compositions', `${compositionId}.mp4`),
    ]);
  });
});
