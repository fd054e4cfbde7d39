import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ComposeJob, CompositionEngine } from '../../src/recording/CompositionService.js';
import { CompositionService } from '../../src/recording/CompositionService.js';
import { MjrConverter } from '../../src/recording/MjrConverter.js';
import { RecordingService } from '../../src/recording/RecordingService.js';
import type { RoomComposition } from '../../src/recording/types.js';
import { Store } from '../../src/store/Store.js';
import { freshDatabase } from '../support/testServer.js';

// The composition queue with a stand-in engine: how many run at once, waiting for a live
// session, failures as a status and a webhook to the composition's own URL, deletion of a
// running composition.

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

/** An engine whose jobs finish when the test says so. */
class ControlledEngine implements CompositionEngine {
  readonly running = new Map<string, { job: ComposeJob; finish(error?: Error): void }>();
  maxConcurrent = 0;

  validate(): void {}

  compose(job: ComposeJob): Promise<{ durationSecs: number; sizeBytes: number }> {
    return new Promise((resolve, reject) => {
      const id = job.outputPath;
      const stop = () => {
        this.running.delete(id);
        reject(new Error('aborted'));
      };
      job.signal.addEventListener('abort', stop);
      this.running.set(id, {
        job,
        finish: (error) => {
          this.running.delete(id);
          job.signal.removeEventListener('abort', stop);
          if (error === undefined) {
            job.onProgress(1);
            resolve({ durationSecs: job.durationSecs, sizeBytes: 1234 });
          } else {
            reject(error);
          }
        },
      });
      this.maxConcurrent = Math.max(this.maxConcurrent, this.running.size);
      job.onProgress(0.5);
    });
  }
}

const ROOM = '7b61621f-62e0-4aad-ab11-9fd19e272e73';

async function setUp(concurrency: number, sessions: number, active = false) {
  const db = await freshDatabase('sqlite');
  cleanups.push(() => db.cleanup());
  const store = await Store.open({ dataDir: db.dataDir });
  cleanups.push(() => store.close());
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  await store.rooms.insert({
    id: ROOM,
    unique_name: null,
    max_participants: 10,
    enable_recording: 1,
    webhook_event_url: 'http://127.0.0.1:9/room',
    webhook_event_failover_url: '',
    webhook_timeout_secs: null,
    created_at: iso(now),
    updated_at: iso(now),
    deleted_at: null,
  });
  const sessionIds: string[] = [];
  for (let i = 0; i < sessions; i += 1) {
    const id = `7b61621f-62e0-4aad-ab11-9fd19e2730${String(i).padStart(2, '0')}`;
    sessionIds.push(id);
    await store.sessions.insert({
      id,
      room_id: ROOM,
      active: active ? 1 : 0,
      created_at: iso(now - 30_000),
      updated_at: iso(now),
      ended_at: active ? null : iso(now),
    });
    await store.db
      .insertInto('room_recordings')
      .values({
        id: `7b61621f-62e0-4aad-ab11-9fd19e2731${String(i).padStart(2, '0')}`,
        room_id: ROOM,
        session_id: id,
        participant_id: '7b61621f-62e0-4aad-ab11-9fd19e272e99',
        stream_key: 'self',
        type: 'video',
        codec: 'vp8',
        status: 'completed',
        source_path: `raw-${i}.mjr`,
        file_path: `${ROOM}/${id}/track.webm`,
        duration_ms: 20_000,
        size_bytes: 1000,
        attempts: 1,
        error: null,
        started_at: iso(now - 25_000),
        ended_at: iso(now - 5_000),
        completed_at: iso(now),
        created_at: iso(now),
        updated_at: iso(now),
      })
      .execute();
  }
  const logger = pino({ level: 'silent' });
  const recordings = new RecordingService({
    store,
    root: `${db.dataDir}/recordings`,
    converter: new MjrConverter(),
    logger,
  });
  const engine = new ControlledEngine();
  const webhooks: { type: string; payload: any; target: unknown }[] = [];
  const compositions = new CompositionService({
    store,
    recordings,
    engine,
    logger,
    concurrency,
    pollIntervalMs: 50,
    webhooks: {
      enqueue: (type: string, payload: unknown, options?: { target?: unknown }) => {
        webhooks.push({ type, payload, target: options?.target });
        return Promise.resolve(undefined);
      },
    },
  });
  cleanups.push(() => compositions.close());
  await compositions.start();
  return { store, compositions, engine, webhooks, sessionIds };
}

describe('the composition queue', () => {
  it('makes at most `concurrency` compositions at once, oldest first, and reports progress', async () => {
    const { compositions, engine, sessionIds } = await setUp(2, 3);
    const created: RoomComposition[] = [];
    for (const sessionId of sessionIds) {
      created.push(await compositions.create({ sessionId, resolution: '640x360' }));
    }
    await expect.poll(() => engine.running.size).toBe(2);
    const statuses = async () =>
      Promise.all(created.map(async (c) => (await compositions.find(c.id))!.status));
    expect(await statuses()).toEqual(['processing', 'processing', 'enqueued']);
    for (const job of [...engine.running.values()]) {
      job.finish();
    }
    await expect.poll(() => engine.running.size).toBe(1);
    engine.running.values().next().value!.finish();
    await expect.poll(statuses).toEqual(['completed', 'completed', 'completed']);
    expect(engine.maxConcurrent).toBe(2);
    const done = (await compositions.find(created[0]!.id))!;
    expect(done).toMatchObject({ progress: 100, sizeBytes: 1234, error: null });
    // The timeline runs from the session's start (30 s ago) to the end of its last media (5 s ago).
    expect(done.durationMs).toBe(25_000);
  });

  it('waits while the session is live', async () => {
    const { store, compositions, engine, sessionIds } = await setUp(1, 1, true);
    const composition = await compositions.create({ sessionId: sessionIds[0]! });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(engine.running.size).toBe(0);
    expect((await compositions.find(composition.id))!.status).toBe('enqueued');
    await store.sessions.update(sessionIds[0]!, { active: 0, ended_at: new Date().toISOString() });
    await expect.poll(() => engine.running.size).toBe(1);
  });

  it('ends a failed composition with its error, announced to the composition’s own URL', async () => {
    const { compositions, engine, webhooks, sessionIds } = await setUp(1, 1);
    const composition = await compositions.create({
      sessionId: sessionIds[0]!,
      webhookEventUrl: 'https://example.test/compositions',
    });
    await expect.poll(() => engine.running.size).toBe(1);
    engine.running.values().next().value!.finish(new Error('ffmpeg exited with code 1: no space'));
    await expect.poll(async () => (await compositions.find(composition.id))!.status).toBe('failed');
    expect((await compositions.find(composition.id))!.error).toMatch(/no space/);
    expect(webhooks).toEqual([
      {
        type: 'video.room.composition.failed',
        payload: expect.objectContaining({
          composition_id: composition.id,
          status: 'failed',
          error: expect.stringMatching(/no space/),
        }),
        target: { url: 'https://example.test/compositions', failoverUrl: null, timeoutSecs: null },
      },
    ]);
  });

  it('stops a running composition that is deleted', async () => {
    const { compositions, engine, sessionIds, webhooks } = await setUp(1, 1);
    const composition = await compositions.create({ sessionId: sessionIds[0]! });
    await expect.poll(() => engine.running.size).toBe(1);
    const { job } = engine.running.values().next().value!;
    await compositions.delete(composition.id);
    expect(job.signal.aborted).toBe(true);
    expect(await compositions.find(composition.id)).toBeUndefined();
    expect(webhooks).toEqual([]);
  });
});
