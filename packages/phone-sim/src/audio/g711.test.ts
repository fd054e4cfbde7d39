import { describe, expect, it } from 'vitest';
import {
  ALAW_SILENCE,
  alawDecode,
  alawDecodeSample,
  alawEncode,
  alawEncodeSample,
  MULAW_SILENCE,
  mulawDecode,
  mulawDecodeSample,
  mulawEncode,
  mulawEncodeSample,
} from './g711.js';

describe('G.711', () => {
  it('maps the μ-law reference points', () => {
    expect(mulawEncodeSample(0)).toBe(MULAW_SILENCE);
    expect(mulawDecodeSample(0xff)).toBe(0);
    expect(mulawDecodeSample(0x7f)).toBe(0);
    expect(mulawDecodeSample(0x00)).toBe(-32124);
    expect(mulawDecodeSample(0x80)).toBe(32124);
    expect(mulawEncodeSample(32767)).toBe(0x80);
    expect(mulawEncodeSample(-32768)).toBe(0x00);
  });

  it('maps the A-law reference points', () => {
    expect(alawEncodeSample(0)).toBe(ALAW_SILENCE);
    expect(alawDecodeSample(0xd5)).toBe(8);
    expect(alawDecodeSample(0x55)).toBe(-8);
    expect(alawDecodeSample(0xaa)).toBe(32256);
    expect(alawDecodeSample(0x2a)).toBe(-32256);
  });

  it('every code word decodes and re-encodes to itself', () => {
    for (let b = 0; b < 256; b += 1) {
      // 0x7f is μ-law's negative zero; it re-encodes as positive zero.
      if (b !== 0x7f) {
        expect(mulawEncodeSample(mulawDecodeSample(b))).toBe(b);
      }
      expect(alawEncodeSample(alawDecodeSample(b))).toBe(b);
    }
  });

  it('round-trips PCM within the segment quantization step', () => {
    const pcm = new Int16Array(2001);
    for (let i = 0; i < pcm.length; i += 1) {
      pcm[i] = Math.round(-30000 + i * 30);
    }
    const mu = mulawDecode(mulawEncode(pcm));
    const a = alawDecode(alawEncode(pcm));
    for (let i = 0; i < pcm.length; i += 1) {
      const x = pcm[i] ?? 0;
      // Both laws keep roughly 4 bits of mantissa: the error stays under ~1/16 of the value.
      expect(Math.abs((mu[i] ?? 0) - x)).toBeLessThanOrEqual(Math.abs(x) / 16 + 8);
      expect(Math.abs((a[i] ?? 0) - x)).toBeLessThanOrEqual(Math.abs(x) / 16 + 16);
    }
  });

  it('is monotonic', () => {
    let previousMu = -Infinity;
    let previousA = -Infinity;
    for (let s = -32768; s < 32768; s += 7) {
      const mu = mulawDecodeSample(mulawEncodeSample(s));
      const a = alawDecodeSample(alawEncodeSample(s));
      expect(mu).toBeGreaterThanOrEqual(previousMu);
      expect(a).toBeGreaterThanOrEqual(previousA);
      previousMu = mu;
      previousA = a;
    }
  });
});
