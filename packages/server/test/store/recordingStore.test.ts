import { afterEach, describe, expect, it } from 'vitest';
import { CompositionRepository } from '../../src/store/CompositionRepository.js';
import { RecordingRepository } from '../../src/store/RecordingRepository.js';
import { Store } from '../../src/store/Store.js';
import { DIALECTS, freshDatabase } from '../support/testServer.js';

// Recordings and compositions read and written alike on SQLite and PostgreSQL: filters, the
// queue's status transitions, and sizes beyond 32 bits.

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

const ROOM = '7b61621f-62e0-4aad-ab11-9fd19e272e73';
const SESSION = '7b61621f-62e0-4aad-ab11-9fd19e272e74';

function recordingRow(id: string, type: string, startedAt: string, durationMs: number | null) {
  return {
    id,
    room_id: ROOM,
    session_id: SESSION,
    participant_id: '7b61621f-62e0-4aad-ab11-9fd19e272e75',
    stream_key: 'self',
    type,
    codec: type === 'audio' ? 'opus' : 'vp8',
    status: durationMs === null ? 'processing' : 'completed',
    source_path: `${id}.mjr`,
    file_path: durationMs === null ? null : `${id}.webm`,
    duration_ms: durationMs,
    size_bytes: durationMs === null ? null : 5_000_000_000,
    attempts: 0,
    error: null,
    started_at: startedAt,
    ended_at: null,
    completed_at: null,
    created_at: startedAt,
    updated_at: startedAt,
  };
}

describe.each(DIALECTS)('recordings and compositions on %s', (dialect) => {
  it('filters recordings and keeps large sizes exact', async () => {
    const db = await freshDatabase(dialect);
    cleanups.push(() => db.cleanup());
    const store = await Store.open({ dataDir: db.dataDir, databaseUrl: db.databaseUrl });
    cleanups.push(() => store.close());
    const recordings = new RecordingRepository(store.db);
    await recordings.insert(recordingRow('a', 'video', '2026-11-20T10:00:00.000Z', 30_000));
    await recordings.insert(recordingRow('b', 'audio', '2026-11-21T10:00:00.000Z', 5_000));
    await recordings.insert(recordingRow('c', 'audio', '2026-11-21T11:00:00.000Z', null));

    const page = await recordings.list({ type: 'audio' }, { number: 1, size: 10 });
    expect(page.items.map((r) => r.id)).toEqual(['c', 'b']);
    expect(
      (await recordings.list({ minDurationSecs: 10 }, { number: 1, size: 10 })).items.map(
        (r) => r.id,
      ),
    ).toEqual(['a']);
    expect(
      (
        await recordings.list(
          { dateStartedAt: { eq: '2026-11-21' }, status: 'completed' },
          { number: 1, size: 10 },
        )
      ).items.map((r) => r.id),
    ).toEqual(['b']);
    expect((await recordings.find('a'))?.sizeBytes).toBe(5_000_000_000);
    expect((await recordings.findBySource('b.mjr'))?.id).toBe('b');
    expect((await recordings.listForSession(SESSION)).map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(await recordings.delete('a')).toBe(true);
    expect(await recordings.delete('a')).toBe(false);
  });

  it('moves a composition through the queue only from the status it is in', async () => {
    const db = await freshDatabase(dialect);
    cleanups.push(() => db.cleanup());
    const store = await Store.open({ dataDir: db.dataDir, databaseUrl: db.databaseUrl });
    cleanups.push(() => store.close());
    const compositions = new CompositionRepository(store.db);
    const now = '2026-11-21T10:00:00.000Z';
    await compositions.insert({
      id: 'k',
      room_id: ROOM,
      session_id: SESSION,
      status: 'enqueued',
      format: 'mp4',
      resolution: '1280x720',
      video_layout: '{"main":{"max_columns":2}}',
      webhook_event_url: null,
      webhook_event_failover_url: null,
      webhook_timeout_secs: null,
      progress: 0,
      file_path: null,
      duration_ms: null,
      size_bytes: null,
      attempts: 0,
      error: null,
      started_at: null,
      ended_at: null,
      completed_at: null,
      created_at: now,
      updated_at: now,
    });
    expect((await compositions.listByStatus('enqueued', 10)).map((c) => c.id)).toEqual(['k']);
    expect(await compositions.transition('k', 'enqueued', { status: 'processing' })).toBe(true);
    expect(await compositions.transition('k', 'enqueued', { status: 'processing' })).toBe(false);
    const taken = await compositions.find('k');
    expect(taken).toMatchObject({
      status: 'processing',
      videoLayout: { main: { max_columns: 2 } },
    });
    expect((await compositions.list({ status: 'processing' }, { number: 1, size: 5 })).total).toBe(
      1,
    );
  });
});
