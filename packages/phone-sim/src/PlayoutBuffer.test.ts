import { describe, expect, it } from 'vitest';
import { PlayoutBuffer } from './PlayoutBuffer.js';

const frame = (byte: number, n = 160): Buffer => Buffer.alloc(n, byte);

describe('PlayoutBuffer', () => {
  it('plays one frame per tick after the jitter buffer fills', () => {
    const p = new PlayoutBuffer({ prebufferFrames: 2 });
    p.push(frame(1), 0);
    expect(p.pull(0).audio).toBeUndefined();
    p.push(frame(2), 1);
    expect(p.pull(1).audio?.[0]).toBe(1);
    expect(p.pull(2).audio?.[0]).toBe(2);
    expect(p.pull(3).audio).toBeUndefined();
    expect(p.framesPlayed).toBe(2);
  });

  it('splits and joins payloads into 160-byte frames, padding the last with silence', () => {
    const p = new PlayoutBuffer({ prebufferFrames: 1 });
    p.push(Buffer.concat([frame(1, 100), frame(2, 100)]), 0);
    const first = p.pull(0).audio;
    expect(first?.subarray(0, 100).every((b) => b === 1)).toBe(true);
    expect(first?.subarray(100).every((b) => b === 2)).toBe(true);
    const second = p.pull(1).audio;
    expect(second?.subarray(0, 40).every((b) => b === 2)).toBe(true);
    expect(second?.subarray(40).every((b) => b === 0xff)).toBe(true);
  });

  it('returns a mark once the audio before it has finished playing', () => {
    const p = new PlayoutBuffer({ prebufferFrames: 1 });
    p.push(frame(1), 0);
    p.push(frame(2), 0);
    expect(p.mark('after-two')).toBe(false);
    expect(p.pull(1).marks).toEqual([]);
    // The second frame plays during this tick …
    expect(p.pull(2).marks).toEqual([]);
    // … and has finished by the next one.
    expect(p.pull(3).marks).toEqual(['after-two']);
  });

  it('returns a mark at once when nothing is playing or queued', () => {
    const p = new PlayoutBuffer();
    expect(p.mark('now')).toBe(true);
  });

  it('clear drops queued audio and hands back queued marks', () => {
    const p = new PlayoutBuffer({ prebufferFrames: 1 });
    p.push(frame(1, 1600), 0);
    p.mark('a');
    p.push(frame(1, 1600), 0);
    p.mark('b');
    p.pull(0);
    expect(p.clear()).toEqual(['a', 'b']);
    expect(p.bufferedBytes).toBe(0);
    expect(p.pull(1).audio).toBeUndefined();
    expect(p.gaps).toBe(0);
  });

  it('counts a gap when it ran dry and more audio came later', () => {
    const p = new PlayoutBuffer({ prebufferFrames: 1 });
    p.push(frame(1), 0);
    p.pull(0);
    p.pull(1);
    p.pull(2);
    p.push(frame(1), 3);
    expect(p.gaps).toBe(1);
    expect(p.gapFrames).toBe(2);
    // Audio that arrives before the next tick is not a gap.
    p.pull(3);
    p.push(frame(1), 3);
    p.pull(4);
    expect(p.gaps).toBe(1);
  });
});
