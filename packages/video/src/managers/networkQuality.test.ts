import { describe, expect, it } from 'vitest';
import { qualityBetween, qualityOf } from './networkQuality.js';

describe('connection quality', () => {
  it('falls with packet loss and round-trip time', () => {
    expect(qualityOf(0, 40)).toBe(5);
    expect(qualityOf(0.03, 40)).toBe(4);
    expect(qualityOf(0.07, 40)).toBe(3);
    expect(qualityOf(0.12, 40)).toBe(2);
    expect(qualityOf(0.3, 40)).toBe(1);
    expect(qualityOf(0, 700)).toBe(2);
  });

  it('compares two samples of an RTP stream, and calls a stopped stream broken', () => {
    expect(qualityBetween(undefined, { packets: 10, lost: 0 })).toBe(5);
    expect(qualityBetween({ packets: 100, lost: 0 }, { packets: 190, lost: 10 })).toBe(2);
    expect(qualityBetween({ packets: 100, lost: 0 }, { packets: 200, lost: 1 })).toBe(5);
    expect(qualityBetween({ packets: 100, lost: 0 }, { packets: 100, lost: 0 })).toBe(0);
  });
});
