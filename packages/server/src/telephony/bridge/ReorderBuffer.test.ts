import { describe, expect, it } from 'vitest';
import { ReorderBuffer } from './ReorderBuffer.js';

const drain = (buffer: ReorderBuffer<string>, ticks: number): (string | undefined)[] =>
  Array.from({ length: ticks }, () => buffer.take());

describe('ReorderBuffer', () => {
  it('plays frames that arrived out of order in order', () => {
    const buffer = new ReorderBuffer<string>(2, 4);
    buffer.put(1, 'a');
    buffer.put(3, 'c');
    buffer.put(2, 'b');
    expect(drain(buffer, 4)).toEqual(['a', 'b', 'c', undefined]);
  });

  it('waits a little for a missing frame, then skips it; a straggler is dropped as late', () => {
    const buffer = new ReorderBuffer<string>(2, 4);
    buffer.put(1, 'a');
    buffer.put(3, 'c');
    expect(drain(buffer, 4)).toEqual(['a', undefined, undefined, 'c']);
    expect(buffer.put(2, 'b')).toBe(false);
    expect(buffer.stats).toMatchObject({ missing: 1, late: 1 });
  });

  it('drops duplicates and, past its depth, the oldest frames', () => {
    const buffer = new ReorderBuffer<string>(2, 3);
    buffer.put(1, 'a');
    expect(buffer.put(1, 'a')).toBe(false);
    buffer.put(2, 'b');
    buffer.put(3, 'c');
    buffer.put(4, 'd');
    expect(drain(buffer, 3)).toEqual(['b', 'c', 'd']);
    expect(buffer.stats).toMatchObject({ duplicates: 1, overflow: 1 });
  });

  it('works off a backlog that does not go away', () => {
    const buffer = new ReorderBuffer<string>(2, 8);
    let next = 1;
    buffer.put(next++, 'x');
    buffer.put(next++, 'x');
    buffer.put(next++, 'x');
    for (let tick = 0; tick < 55; tick++) {
      buffer.put(next++, 'x');
      buffer.take();
    }
    // Three frames were waiting at every tick: once that stood for 100 ms, the delay is cut down
    // to the jitter.
    expect(buffer.stats.quietTrims).toBe(2);
    expect(buffer.size).toBe(1);
  });

  it('keeps a backlog while the audio is loud, unless it is longer than allowed', () => {
    const buffer = new ReorderBuffer<string>(2, 16, undefined, 6);
    let next = 1;
    const run = (waiting: number, ticks: number, quiet: boolean) => {
      while (buffer.size < waiting) {
        buffer.put(next++, 'x');
      }
      for (let tick = 0; tick < ticks; tick++) {
        buffer.put(next++, 'x');
        buffer.take(quiet);
      }
    };
    // Five frames behind (a sender's 100 ms stall) for three seconds of talk: nothing dropped.
    run(5, 150, false);
    expect(buffer.stats).toMatchObject({ overflow: 0, quietTrims: 0, missing: 0 });
    expect(buffer.size).toBe(5);
    // Once the talk pauses, the backlog goes at once (a frame a tick) down to the jitter.
    run(0, 10, true);
    expect(buffer.stats.quietTrims).toBe(4);
    expect(buffer.size).toBe(1);
    // Eight behind while loud is more than allowed: worked off a frame a second until six wait.
    run(8, 200, false);
    expect(buffer.stats.overflow).toBe(3);
    expect(buffer.size).toBe(5);
  });

  it('follows RTP sequence numbers across the wrap', () => {
    const buffer = new ReorderBuffer<string>(1, 4, 65536);
    buffer.put(65535, 'a');
    buffer.put(1, 'c');
    buffer.put(0, 'b');
    expect(drain(buffer, 3)).toEqual(['a', 'b', 'c']);
    expect(buffer.put(65534, 'old')).toBe(false);
  });
});
