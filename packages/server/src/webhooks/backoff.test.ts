import { describe, expect, it } from 'vitest';
import { exponentialBackoff } from './backoff.js';

describe('exponentialBackoff', () => {
  it('doubles from the initial delay up to the cap', () => {
    const backoff = exponentialBackoff({ initialMs: 100, maxMs: 1000, jitter: 0 });
    expect([1, 2, 3, 4, 5, 6, 50].map(backoff)).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('treats attempt 0 like attempt 1 and never overflows', () => {
    const backoff = exponentialBackoff({ jitter: 0 });
    expect(backoff(0)).toBe(1000);
    expect(backoff(10_000)).toBe(10 * 60 * 1000);
  });

  it('shortens each delay by at most the jitter fraction', () => {
    expect(exponentialBackoff({ initialMs: 1000, jitter: 0.2, random: () => 0.999 })(1)).toBe(800);
    expect(exponentialBackoff({ initialMs: 1000, jitter: 0.2, random: () => 0 })(1)).toBe(1000);
    const random = exponentialBackoff({ initialMs: 1000 });
    for (let i = 0; i < 100; i++) {
      const delay = random(1);
      expect(delay).toBeGreaterThanOrEqual(800);
      expect(delay).toBeLessThanOrEqual(1000);
    }
  });
});
