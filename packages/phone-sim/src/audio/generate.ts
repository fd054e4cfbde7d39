/**
 * Test-signal generators. Levels are dBFS in the AES17 sense: a full-scale sine is 0 dBFS, so a
 * sine's level is its peak amplitude in dB.
 */

export function dbfsToAmplitude(dbfs: number): number {
  return 10 ** (dbfs / 20);
}

export function amplitudeToDbfs(amplitude: number): number {
  return amplitude > 0 ? 20 * Math.log10(amplitude) : -Infinity;
}

function sampleCount(durationMs: number, sampleRate: number): number {
  return Math.max(0, Math.round((durationMs * sampleRate) / 1000));
}

export interface ToneOptions {
  frequency: number;
  durationMs: number;
  sampleRate?: number;
  /** Peak level in dBFS; -12 by default. */
  levelDbfs?: number;
  /** Starting phase in radians. */
  phase?: number;
}

/** A pure sine tone. */
export function tone(options: ToneOptions): Float32Array {
  const sampleRate = options.sampleRate ?? 8000;
  const amplitude = dbfsToAmplitude(options.levelDbfs ?? -12);
  const out = new Float32Array(sampleCount(options.durationMs, sampleRate));
  const w = (2 * Math.PI * options.frequency) / sampleRate;
  const phase = options.phase ?? 0;
  for (let i = 0; i < out.length; i += 1) {
    out[i] = amplitude * Math.sin(w * i + phase);
  }
  return out;
}

export interface ChirpOptions {
  startHz: number;
  endHz: number;
  durationMs: number;
  sampleRate?: number;
  levelDbfs?: number;
}

/**
 * A linear sweep with 5 ms raised-cosine edges. Its autocorrelation has one sharp peak, which makes
 * it a good timing marker even after G.711 and band-limiting.
 */
export function chirp(options: ChirpOptions): Float32Array {
  const sampleRate = options.sampleRate ?? 8000;
  const amplitude = dbfsToAmplitude(options.levelDbfs ?? -6);
  const n = sampleCount(options.durationMs, sampleRate);
  const out = new Float32Array(n);
  const seconds = n / sampleRate;
  const k = (options.endHz - options.startHz) / seconds;
  const edge = Math.min(Math.round(0.005 * sampleRate), Math.floor(n / 2));
  for (let i = 0; i < n; i += 1) {
    const t = i / sampleRate;
    let gain = amplitude;
    if (i < edge) {
      gain *= 0.5 - 0.5 * Math.cos((Math.PI * i) / edge);
    } else if (i >= n - edge) {
      gain *= 0.5 - 0.5 * Math.cos((Math.PI * (n - 1 - i)) / edge);
    }
    out[i] = gain * Math.sin(2 * Math.PI * (options.startHz * t + 0.5 * k * t * t));
  }
  return out;
}

/** The default timing marker: a 100 ms sweep across the telephone band. */
export function markerChirp(sampleRate = 8000): Float32Array {
  return chirp({ startHz: 400, endHz: 3400, durationMs: 100, sampleRate, levelDbfs: -6 });
}

export function silence(durationMs: number, sampleRate = 8000): Float32Array {
  return new Float32Array(sampleCount(durationMs, sampleRate));
}

/** Uniform white noise from a seeded generator, so fixtures are reproducible. */
export function whiteNoise(
  durationMs: number,
  sampleRate = 8000,
  levelDbfs = -30,
  seed = 1,
): Float32Array {
  const out = new Float32Array(sampleCount(durationMs, sampleRate));
  // Uniform noise in [-a, a] has RMS a/√3; scale so its RMS equals a sine of the given level.
  const a = (dbfsToAmplitude(levelDbfs) / Math.SQRT2) * Math.sqrt(3);
  let state = seed >>> 0;
  for (let i = 0; i < out.length; i += 1) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = a * (2 * u - 1);
  }
  return out;
}

/** Joins buffers end to end. */
export function concat(...parts: ArrayLike<number>[]): Float32Array {
  const out = new Float32Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Adds `b` into a copy of `a`, starting at `offset` samples; the result is as long as needed. */
export function mix(a: ArrayLike<number>, b: ArrayLike<number>, offset = 0): Float32Array {
  const out = new Float32Array(Math.max(a.length, offset + b.length));
  out.set(a);
  for (let i = 0; i < b.length; i += 1) {
    const j = offset + i;
    out[j] = (out[j] ?? 0) + (b[i] ?? 0);
  }
  return out;
}

/** Delays a signal by whole samples (zeros in front), keeping its length unless `extend`. */
export function delay(
  samples: ArrayLike<number>,
  delaySamples: number,
  extend = false,
): Float32Array {
  const out = new Float32Array(extend ? samples.length + delaySamples : samples.length);
  for (let i = 0; i + delaySamples < out.length && i < samples.length; i += 1) {
    out[i + delaySamples] = samples[i] ?? 0;
  }
  return out;
}
