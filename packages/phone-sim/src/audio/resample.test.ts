import { describe, expect, it } from 'vitest';
import { toneLevel } from './analysis.js';
import { tone } from './generate.js';
import { resample } from './resample.js';

describe('resample', () => {
  it('keeps an in-band tone and its level', () => {
    const t = tone({ frequency: 1000, durationMs: 300, sampleRate: 22050, levelDbfs: -10 });
    const out = resample(t, 22050, 8000);
    expect(out.length).toBe(Math.floor((t.length * 8000) / 22050));
    expect(toneLevel(out.subarray(100, out.length - 100), 8000, 1000)).toBeCloseTo(-10, 0);
  });

  it('removes what is above the new Nyquist frequency', () => {
    const t = tone({ frequency: 6000, durationMs: 300, sampleRate: 48000, levelDbfs: -6 });
    const out = resample(t, 48000, 8000);
    // 6 kHz would alias to 2 kHz without the filter.
    expect(toneLevel(out.subarray(100, out.length - 100), 8000, 2000)).toBeLessThan(-60);
  });
});
