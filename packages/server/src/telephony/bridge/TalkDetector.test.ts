import { describe, expect, it } from 'vitest';
import { TalkDetector } from './TalkDetector.js';

describe('TalkDetector', () => {
  it('reports talking once the average level rises, and stopping once it falls well below', () => {
    const detector = new TalkDetector({ windowFrames: 10 });
    const changes: boolean[] = [];
    const feed = (level: number, frames: number) => {
      for (let i = 0; i < frames; i++) {
        const change = detector.push(level);
        if (change !== undefined) {
          changes.push(change);
        }
      }
    };
    feed(-Infinity, 20);
    expect(changes).toEqual([]);
    feed(-20, 10);
    expect(changes).toEqual([true]);
    expect(detector.talking).toBe(true);
    feed(-50, 20); // between the thresholds: still talking
    expect(changes).toEqual([true]);
    feed(-90, 10);
    expect(changes).toEqual([true, false]);
  });
});
