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
    // Three frames were waiting at every tick for a second; one is dropped to cut the delay.
    expect(buffer.stats.overflow).toBe(1);
    expect(buffer.size).toBe(2);
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
