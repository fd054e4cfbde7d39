import { fft, nextPowerOfTwo } from './fft.js';
import { markerChirp } from './generate.js';

/**
 * Measurements for tests and benchmarks. Levels are dBFS in the AES17 sense (a full-scale sine is
 * 0 dBFS), so a tone's measured level equals the level it was generated at.
 */

const BH = [0.35875, 0.48829, 0.14128, 0.01168] as const;

/** 4-term Blackman-Harris: sidelobes below -92 dB, so a loud tone does not hide a quiet image. */
function blackmanHarris(n: number, size: number): number {
  const x = (2 * Math.PI * n) / (size - 1);
  return BH[0] - BH[1] * Math.cos(x) + BH[2] * Math.cos(2 * x) - BH[3] * Math.cos(3 * x);
}

function toDb(power: number): number {
  return power > 0 ? 10 * Math.log10(power) : -Infinity;
}

/** Root-mean-square of the samples (floats in [-1, 1]). */
export function rms(samples: ArrayLike<number>): number {
  if (samples.length === 0) {
    return 0;
  }
  let sum = 0;
  for (let i = 0; i < samples.length; i += 1) {
    const v = samples[i] ?? 0;
    sum += v * v;
  }
  return Math.sqrt(sum / samples.length);
}

/** RMS level in dBFS (a full-scale sine reads 0). */
export function rmsDbfs(samples: ArrayLike<number>): number {
  const r = rms(samples);
  return r > 0 ? 20 * Math.log10(r * Math.SQRT2) : -Infinity;
}

/** Peak level in dBFS. */
export function peakDbfs(samples: ArrayLike<number>): number {
  let peak = 0;
  for (let i = 0; i < samples.length; i += 1) {
    peak = Math.max(peak, Math.abs(samples[i] ?? 0));
  }
  return peak > 0 ? 20 * Math.log10(peak) : -Infinity;
}

/**
 * The level in dBFS of the sinusoid at `frequency`, by a windowed Goertzel filter evaluated at
 * exactly that frequency (so there is no bin-centering error).
 */
export function toneLevel(
  samples: ArrayLike<number>,
  sampleRate: number,
  frequency: number,
): number {
  const n = samples.length;
  if (n < 2) {
    return -Infinity;
  }
  const w = (2 * Math.PI * frequency) / sampleRate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  let windowSum = 0;
  for (let i = 0; i < n; i += 1) {
    const win = blackmanHarris(i, n);
    windowSum += win;
    const s0 = (samples[i] ?? 0) * win + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const magnitude = Math.sqrt(Math.max(0, s1 * s1 + s2 * s2 - coeff * s1 * s2));
  const amplitude = (2 * magnitude) / windowSum;
  return amplitude > 0 ? 20 * Math.log10(amplitude) : -Infinity;
}

export interface ToneDetection {
  /** Whether the tone is there: loud enough and standing out of everything else. */
  present: boolean;
  levelDbfs: number;
  /** Level of the whole signal. */
  totalDbfs: number;
  /** Tone power over the power of everything else, in dB. */
  snrDb: number;
}

export interface DetectToneOptions {
  /** Quietest level that counts as present (default -40 dBFS). */
  minLevelDbfs?: number;
  /** Smallest tone-to-rest ratio that counts as present (default 10 dB). */
  minSnrDb?: number;
}

/**
 * Finds a tone and says how clean it is. Welch's method (Blackman-Harris segments of 4096 samples,
 * half overlapping) weighs every part of the recording alike, so a tone that sounds for only part
 * of it is measured at its average level over the whole.
 */
export function detectTone(
  samples: ArrayLike<number>,
  sampleRate: number,
  frequency: number,
  options: DetectToneOptions = {},
): ToneDetection {
  const n = samples.length;
  const segment = Math.min(4096, n);
  const size = nextPowerOfTwo(Math.max(2, segment));
  const hop = Math.max(1, Math.floor(segment / 2));
  const window = new Float64Array(segment);
  let windowEnergy = 0;
  for (let i = 0; i < segment; i += 1) {
    window[i] = blackmanHarris(i, segment);
    windowEnergy += (window[i] ?? 0) ** 2;
  }
  const binHz = sampleRate / size;
  // The window's main lobe is ±4 bins wide at full resolution; zero padding widens it.
  const lobeHz = 5 * (sampleRate / Math.max(1, segment));
  let tonePower = 0;
  let restPower = 0;
  let segments = 0;
  for (let start = 0; start + segment <= n || (segments === 0 && start === 0); start += hop) {
    const re = new Float64Array(size);
    const im = new Float64Array(size);
    for (let i = 0; i < segment; i += 1) {
      re[i] = (samples[start + i] ?? 0) * (window[i] ?? 0);
    }
    fft(re, im);
    for (let k = 1; k < size / 2; k += 1) {
      const p = (re[k] ?? 0) ** 2 + (im[k] ?? 0) ** 2;
      if (Math.abs(k * binHz - frequency) <= lobeHz) {
        tonePower += p;
      } else {
        restPower += p;
      }
    }
    segments += 1;
    if (segment === 0) {
      break;
    }
  }
  // A sine of amplitude A puts N·A²/4·Σw² into its positive-frequency lobe.
  const amplitudeSquared =
    segments === 0 || windowEnergy === 0 ? 0 : (4 * tonePower) / (segments * size * windowEnergy);
  const levelDbfs = toDb(amplitudeSquared);
  const snrDb = toDb(tonePower / Math.max(restPower, tonePower * 1e-15, 1e-30));
  return {
    present: levelDbfs >= (options.minLevelDbfs ?? -40) && snrDb >= (options.minSnrDb ?? 10),
    levelDbfs,
    totalDbfs: rmsDbfs(samples),
    snrDb,
  };
}

/** Where a frequency lands after sampling at `sampleRate` (folded into 0…Nyquist). */
export function aliasFrequency(frequency: number, sampleRate: number): number {
  const f = ((frequency % sampleRate) + sampleRate) % sampleRate;
  return f > sampleRate / 2 ? sampleRate - f : f;
}

/** Magnitude spectrum (dBFS per bin, Blackman-Harris windowed) of up to the first `size` samples. */
export function spectrum(
  samples: ArrayLike<number>,
  sampleRate: number,
  size = nextPowerOfTwo(Math.min(samples.length, 65536)),
): { binHz: number; levelsDbfs: Float64Array } {
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  const n = Math.min(size, samples.length);
  let windowSum = 0;
  for (let i = 0; i < n; i += 1) {
    const win = blackmanHarris(i, n);
    windowSum += win;
    re[i] = (samples[i] ?? 0) * win;
  }
  fft(re, im);
  const levels = new Float64Array(size / 2 + 1);
  for (let k = 0; k < levels.length; k += 1) {
    const amplitude = (2 * Math.hypot(re[k] ?? 0, im[k] ?? 0)) / (windowSum || 1);
    levels[k] = amplitude > 0 ? 20 * Math.log10(amplitude) : -Infinity;
  }
  return { binHz: sampleRate / size, levelsDbfs: levels };
}

/** The strongest frequency, refined between bins by parabolic interpolation. */
export function dominantFrequency(samples: ArrayLike<number>, sampleRate: number): number {
  const { binHz, levelsDbfs } = spectrum(samples, sampleRate);
  let best = 1;
  for (let k = 1; k < levelsDbfs.length - 1; k += 1) {
    if ((levelsDbfs[k] ?? -Infinity) > (levelsDbfs[best] ?? -Infinity)) {
      best = k;
    }
  }
  const a = levelsDbfs[best - 1] ?? -Infinity;
  const b = levelsDbfs[best] ?? -Infinity;
  const c = levelsDbfs[best + 1] ?? -Infinity;
  const denominator = a - 2 * b + c;
  const shift =
    Number.isFinite(denominator) && denominator !== 0 ? (0.5 * (a - c)) / denominator : 0;
  return (best + shift) * binHz;
}

export interface ImageLevel {
  /** Which image: `8000-f`, `8000+f` or `48000-f`. */
  label: string;
  /** The image's frequency as it appears in this recording (folded below Nyquist). */
  frequencyHz: number;
  levelDbfs: number;
  /** Image level minus tone level: -95 is clean, 0 is as loud as the tone. */
  relativeDb: number;
  /** False when the image folds onto the tone itself (it cannot be told apart there). */
  measurable: boolean;
}

export interface ImageMeasurement {
  toneHz: number;
  toneDbfs: number;
  images: ImageLevel[];
  /** The loudest measurable image relative to the tone. */
  worstRelativeDb: number;
}

/**
 * Measures the alias/image products a tone at `toneHz` picks up when it crosses an unfiltered
 * 8 kHz ↔ 48 kHz rate change: energy at 8000−f and 8000+f (images of 8 kHz sampling) and at
 * 48000−f (what a 48 kHz component folds to), each relative to the tone.
 */
export function measureImages(
  samples: ArrayLike<number>,
  sampleRate: number,
  toneHz: number,
  sources: ReadonlyArray<{ label: string; frequencyHz: number }> = [
    { label: '8000-f', frequencyHz: 8000 - toneHz },
    { label: '8000+f', frequencyHz: 8000 + toneHz },
    { label: '48000-f', frequencyHz: 48000 - toneHz },
  ],
): ImageMeasurement {
  const toneDbfs = toneLevel(samples, sampleRate, toneHz);
  const resolutionHz = Math.max(5, (4 * sampleRate) / Math.max(1, samples.length));
  const images = sources.map((source): ImageLevel => {
    const frequencyHz = aliasFrequency(source.frequencyHz, sampleRate);
    const measurable = Math.abs(frequencyHz - aliasFrequency(toneHz, sampleRate)) > resolutionHz;
    const levelDbfs = measurable ? toneLevel(samples, sampleRate, frequencyHz) : toneDbfs;
    return {
      label: source.label,
      frequencyHz,
      levelDbfs,
      relativeDb: levelDbfs - toneDbfs,
      measurable,
    };
  });
  const measured = images.filter((image) => image.measurable).map((image) => image.relativeDb);
  return {
    toneHz,
    toneDbfs,
    images,
    worstRelativeDb: measured.length > 0 ? Math.max(...measured) : -Infinity,
  };
}

export interface DelayMeasurement {
  /** How much later `recorded` carries `reference` (negative: earlier). */
  delayMs: number;
  delaySamples: number;
  /** Normalized correlation at the peak, -1…1; near 1 for a clean copy, below ~0.3 means no match. */
  correlation: number;
}

export interface MeasureDelayOptions {
  /** Largest delay searched, in ms (default: the whole recording). */
  maxDelayMs?: number;
  /** Also search negative delays (default false). */
  allowNegative?: boolean;
}

/**
 * Finds where `reference` occurs in `recorded` by FFT cross-correlation, normalized by the energy
 * of the recording under the reference, with parabolic refinement to a fraction of a sample.
 */
export function measureDelay(
  reference: ArrayLike<number>,
  recorded: ArrayLike<number>,
  sampleRate: number,
  options: MeasureDelayOptions = {},
): DelayMeasurement {
  const m = reference.length;
  const n = recorded.length;
  if (m === 0 || n === 0) {
    return { delayMs: NaN, delaySamples: NaN, correlation: 0 };
  }
  const size = nextPowerOfTwo(m + n);
  const ar = new Float64Array(size);
  const ai = new Float64Array(size);
  const br = new Float64Array(size);
  const bi = new Float64Array(size);
  let refEnergy = 0;
  for (let i = 0; i < m; i += 1) {
    const v = reference[i] ?? 0;
    br[i] = v;
    refEnergy += v * v;
  }
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i += 1) {
    const v = recorded[i] ?? 0;
    ar[i] = v;
    prefix[i + 1] = (prefix[i] ?? 0) + v * v;
  }
  fft(ar, ai);
  fft(br, bi);
  // recorded × conj(reference)
  for (let k = 0; k < size; k += 1) {
    const xr = ar[k] ?? 0;
    const xi = ai[k] ?? 0;
    const yr = br[k] ?? 0;
    const yi = bi[k] ?? 0;
    ar[k] = xr * yr + xi * yi;
    ai[k] = xi * yr - xr * yi;
  }
  fft(ar, ai, true);
  const corr = (lag: number): number => (ar[lag >= 0 ? lag : size + lag] ?? 0) / size;
  const energyAt = (lag: number): number => {
    const from = Math.min(n, Math.max(0, lag));
    const to = Math.min(n, Math.max(0, lag + m));
    return (prefix[to] ?? 0) - (prefix[from] ?? 0);
  };
  const maxLag = Math.min(
    n - 1,
    options.maxDelayMs === undefined ? n - 1 : Math.ceil((options.maxDelayMs * sampleRate) / 1000),
  );
  const minLag = options.allowNegative === true ? -Math.min(m - 1, maxLag) : 0;
  let bestLag = 0;
  let bestScore = -Infinity;
  let bestNormalized = 0;
  for (let lag = minLag; lag <= maxLag; lag += 1) {
    const e = energyAt(lag);
    if (e <= 0) {
      continue;
    }
    const normalized = corr(lag) / Math.sqrt(refEnergy * e);
    // Small floor so near-silent stretches cannot win on a tiny denominator.
    const score = corr(lag) / Math.sqrt(refEnergy * Math.max(e, refEnergy * 1e-3));
    if (score > bestScore) {
      bestScore = score;
      bestLag = lag;
      bestNormalized = normalized;
    }
  }
  const y0 = corr(bestLag - 1);
  const y1 = corr(bestLag);
  const y2 = corr(bestLag + 1);
  const denominator = y0 - 2 * y1 + y2;
  const shift =
    denominator !== 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (y0 - y2)) / denominator)) : 0;
  const delaySamples = bestLag + shift;
  return {
    delayMs: (delaySamples * 1000) / sampleRate,
    delaySamples,
    correlation: Math.max(-1, Math.min(1, bestNormalized)),
  };
}

export interface LatencyMeasurement {
  /** Time from the marker in what was sent to the marker in what was heard. */
  latencyMs: number;
  sentAtMs: number;
  heardAtMs: number;
  /** The weaker of the two marker matches (normalized correlation). */
  confidence: number;
}

/**
 * End-to-end latency by locating one marker chirp in what was sent and in what was heard (both on
 * the same clock, starting at the same instant). Default marker: {@link markerChirp}.
 */
export function measureLatency(
  sent: ArrayLike<number>,
  heard: ArrayLike<number>,
  sampleRate: number,
  marker: ArrayLike<number> = markerChirp(sampleRate),
): LatencyMeasurement {
  const inSent = measureDelay(marker, sent, sampleRate);
  const inHeard = measureDelay(marker, heard, sampleRate);
  return {
    latencyMs: inHeard.delayMs - inSent.delayMs,
    sentAtMs: inSent.delayMs,
    heardAtMs: inHeard.delayMs,
    confidence: Math.min(inSent.correlation, inHeard.correlation),
  };
}
