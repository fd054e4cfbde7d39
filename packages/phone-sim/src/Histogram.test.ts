import { describe, expect, it } from 'vitest';
import { Histogram, percentiles } from './Histogram.js';
import { numberPlus } from './LoadRunner.js';

describe('Histogram and percentiles', () => {
  it('gives percentiles to its resolution', () => {
    const h = new Histogram(100, 0.1);
    for (let i = 1; i <= 1000; i += 1) {
      h.record(i / 100);
    }
    expect(h.count).toBe(1000);
    // Upper bucket edges: within one 0.1 ms bucket.
    expect(Math.abs(h.percentile(50) - 5)).toBeLessThanOrEqual(0.1 + 1e-9);
    expect(Math.abs(h.percentile(99) - 9.9)).toBeLessThanOrEqual(0.1 + 1e-9);
    expect(h.max).toBe(10);
    h.record(500);
    expect(h.percentile(100)).toBe(500);
  });

  it('computes nearest-rank percentiles of a list', () => {
    const p = percentiles([5, 1, 4, 2, 3, Number.NaN]);
    expect(p).toMatchObject({ count: 5, p50: 3, max: 5, mean: 3 });
    expect(percentiles([]).count).toBe(0);
  });

  it('numbers callers up', () => {
    expect(numberPlus('+13125550100', 0)).toBe('+13125550100');
    expect(numberPlus('+13125550100', 123)).toBe('+13125550223');
    expect(numberPlus('0099', 1)).toBe('0100');
    expect(numberPlus('alice', 3)).toBe('alice');
  });
});
