import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MjrConverter } from '../../src/recording/MjrConverter.js';
import { RecordingService } from '../../src/recording/RecordingService.js';
import { Store } from '../../src/store/Store.js';
import { freshDatabase } from '../support/testServer.js';
import { logSink } from '../telephony/support.js';

// Files Janus leaves that are not recordings worth keeping: an empty one (a handle that never
// sent media) is removed; an unreadable one is tried a few times, then kept for a person to look
// at, with a log line, and never becomes a row.

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

const ROOM = '7b61621f-62e0-4aad-ab11-9fd19e272e73';
const SESSION = '7b61621f-62e0-4aad-ab11-9fd19e272e74';
const PARTICIPANT = '7b61621f-62e0-4aad-ab11-9fd19e272e75';

describe('recording files that hold no recording', () => {
  it('removes empty files and keeps unreadable ones after a few attempts', async () => {
    const db = await freshDatabase('sqlite');
    cleanups.push(() => db.cleanup());
    const store = await Store.open({ dataDir: db.dataDir });
    cleanups.push(() => store.close());
    const root = join(db.dataDir, 'recordings');
    const raw = join(root, ROOM, SESSION, 'raw');
    mkdirSync(raw, { recursive: true });
    const empty = join(raw, `${PARTICIPANT}_audiobridge_1-audio.mjr`);
    const garbage = join(raw, `${PARTICIPANT}_self_2-video-1.mjr`);
    const stillOpen = join(raw, `${PARTICIPANT}_self_3-audio-0.mjr.tmp`);
    writeFileSync(empty, 'MJR00002');
    writeFileSync(garbage, Buffer.alloc(4096, 0x5a));
    writeFileSync(stillOpen, Buffer.alloc(4096, 0x5a));
    const logs: Record<string, any>[] = [];
    const recordings = new RecordingService({
      store,
      root,
      converter: new MjrConverter(),
      logger: pino({ level: 'info' }, logSink(logs)),
      scanIntervalMs: 50,
      retryDelayMs: 50,
      maxAttempts: 3,
    });
    cleanups.push(() => recordings.close());
    recordings.start();

    await expect
      .poll(() => logs.filter((l) => l.msg === 'recording conversion failed').length, {
        timeout: 10_000,
      })
      .toBe(3);
    // No more attempts after the last one.
    await new Promise((resolve) => setTimeout(resolve, 400));
    await recordings.idle();
    const failures = logs.filter((l) => l.msg === 'recording conversion failed');
    expect(failures.map((l) => [l.attempts, l.finalAttempt])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect(existsSync(empty)).toBe(false);
    expect(existsSync(garbage)).toBe(true);
    expect(existsSync(stillOpen)).toBe(true);
    expect((await recordings.list({}, { number: 1, size: 10 })).total).toBe(0);
  });
});
