import { describe, expect, it } from 'vitest';
import {
  aliasFrequency,
  detectTone,
  dominantFrequency,
  measureDelay,
  measureImages,
  measureLatency,
  rmsDbfs,
  toneLevel,
} from './analysis.js';
import { floatToInt16, int16ToFloat, mulawDecode, mulawEncode } from './g711.js';
import { concat, delay, markerChirp, mix, silence, tone, whiteNoise } from './generate.js';
import { resample } from './resample.js';

function mulawRoundTrip(samples: Float32Array): Float32Array {
  return int16ToFloat(mulawDecode(mulawEncode(floatToInt16(samples))));
}

describe('audio analysis', () => {
  it('finds a 1 kHz tone through a μ-law round trip, at its level', () => {
    const sent = tone({ frequency: 1000, durationMs: 1000, levelDbfs: -12 });
    const heard = mulawRoundTrip(sent);
    const found = detectTone(heard, 8000, 1000);
    expect(found.present).toBe(true);
    expect(found.levelDbfs).toBeCloseTo(-12, 0);
    // μ-law keeps a tone about 35-40 dB above its quantization noise.
    expect(found.snrDb).toBeGreaterThan(30);
    expect(dominantFrequency(heard, 8000)).toBeCloseTo(1000, 0);
    expect(detectTone(heard, 8000, 1400).present).toBe(false);
    expect(rmsDbfs(heard)).toBeCloseTo(-12, 0);
  });

  it('does not find a tone in noise', () => {
    const noise = mulawRoundTrip(whiteNoise(500, 8000, -20, 7));
    expect(detectTone(noise, 8000, 1000).present).toBe(false);
  });

  it('measures a known delay within ±2 ms, through μ-law and noise', () => {
    const marker = markerChirp();
    const sent = concat(silence(300), marker, silence(1200));
    const delaySamples = Math.round(0.1374 * 8000); // 137.4 ms
    const heard = mulawRoundTrip(mix(delay(sent, delaySamples), whiteNoise(1600, 8000, -35, 3)));
    const measured = measureDelay(sent, heard, 8000);
    expect(Math.abs(measured.delayMs - 137.4)).toBeLessThan(2);
    expect(measured.correlation).toBeGreaterThan(0.9);
    const latency = measureLatency(sent, heard, 8000);
    expect(Math.abs(latency.latencyMs - 137.4)).toBeLessThan(2);
    expect(latency.sentAtMs).toBeCloseTo(300, 0);
    expect(latency.confidence).toBeGreaterThan(0.9);
  });

  it('measures delay across a rate change (8 kHz sent, 48 kHz heard)', () => {
    const sent = concat(silence(200), markerChirp(), silence(800));
    const heard48 = delay(resample(sent, 8000, 48000), Math.round(0.0613 * 48000));
    const latency = measureLatency(resample(sent, 8000, 48000), heard48, 48000, markerChirp(48000));
    expect(Math.abs(latency.latencyMs - 61.3)).toBeLessThan(2);
  });

  it('measures an injected 7 kHz image of a 1 kHz tone at 48 kHz', () => {
    const clean = tone({ frequency: 1000, durationMs: 500, sampleRate: 48000, levelDbfs: -6 });
    const image = tone({ frequency: 7000, durationMs: 500, sampleRate: 48000, levelDbfs: -21 });
    const withImage = mix(clean, image);
    const measured = measureImages(withImage, 48000, 1000);
    const at7k = measured.images.find((i) => i.label === '8000-f');
    expect(at7k?.frequencyHz).toBe(7000);
    expect(at7k?.relativeDb).toBeCloseTo(-15, 0);
    expect(measured.worstRelativeDb).toBeCloseTo(-15, 0);
    expect(measured.toneDbfs).toBeCloseTo(-6, 0);
    // 48000-f folds onto the tone itself at 48 kHz: reported, not measured.
    expect(measured.images.find((i) => i.label === '48000-f')?.measurable).toBe(false);
    // Without the injected image the measurement floor is far below.
    expect(measureImages(clean, 48000, 1000).worstRelativeDb).toBeLessThan(-90);
  });

  it('sees what an unfiltered 8 kHz to 48 kHz upsampler does', () => {
    const narrow = tone({ frequency: 1000, durationMs: 500, levelDbfs: -6 });
    // Zero-order hold: each 8 kHz sample repeated six times, as a filterless converter would.
    const held = new Float32Array(narrow.length * 6);
    for (let i = 0; i < held.length; i += 1) {
      held[i] = narrow[Math.floor(i / 6)] ?? 0;
    }
    const measured = measureImages(held, 48000, 1000);
    expect(measured.worstRelativeDb).toBeGreaterThan(-25);
    // A proper resampler leaves no image.
    expect(measureImages(resample(narrow, 8000, 48000), 48000, 1000).worstRelativeDb).toBeLessThan(
      -60,
    );
  });

  it('folds frequencies', () => {
    expect(aliasFrequency(7000, 8000)).toBe(1000);
    expect(aliasFrequency(47000, 48000)).toBe(1000);
    expect(aliasFrequency(9000, 48000)).toBe(9000);
    expect(aliasFrequency(-100, 8000)).toBe(100);
  });

  it('measures tone level exactly between FFT bins', () => {
    const t = tone({ frequency: 1234.5, durationMs: 250, levelDbfs: -20 });
    expect(toneLevel(t, 8000, 1234.5)).toBeCloseTo(-20, 1);
  });
});

describe('detectTone over a whole recording', () => {
  it('weighs every part alike: a tone for half the time reads 3 dB down', () => {
    const half = concat(silence(1000), tone({ frequency: 1000, durationMs: 1000, levelDbfs: -12 }));
    const found = detectTone(half, 8000, 1000);
    // (the first and last half segment weigh a little less)
    expect(Math.abs(found.levelDbfs - -15)).toBeLessThan(1);
    expect(found.present).toBe(true);
  });
});
