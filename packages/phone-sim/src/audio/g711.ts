/**
 * G.711 μ-law (PCMU) and A-law (PCMA) conversion by lookup tables. The tables are built once from
 * the segment formulas of ITU-T G.711, so encoding a sample is one array read.
 */

/** The μ-law byte for digital silence. */
export const MULAW_SILENCE = 0xff;
/** The A-law byte closest to silence. */
export const ALAW_SILENCE = 0xd5;

const MULAW_BIAS = 0x84;
const MULAW_CLIP = 32635;

function mulawEncodeSlow(sample: number): number {
  let s = sample;
  const sign = s < 0 ? 0x80 : 0;
  if (sign !== 0) {
    s = -s;
  }
  if (s > MULAW_CLIP) {
    s = MULAW_CLIP;
  }
  s += MULAW_BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) {
    exponent -= 1;
  }
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function mulawDecodeSlow(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = (((u & 0x0f) << 3) + MULAW_BIAS) << exponent;
  const sample = magnitude - MULAW_BIAS;
  return (u & 0x80) !== 0 ? -sample : sample;
}

const ALAW_SEGMENT_ENDS = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

function alawEncodeSlow(sample: number): number {
  // A-law works on 13-bit magnitudes.
  let value = sample >> 3;
  let mask: number;
  if (value >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    value = -value - 1;
  }
  let segment = 0;
  while (segment < 8 && value > (ALAW_SEGMENT_ENDS[segment] ?? 0)) {
    segment += 1;
  }
  if (segment >= 8) {
    return 0x7f ^ mask;
  }
  let byte = segment << 4;
  byte |= segment < 2 ? (value >> 1) & 0x0f : (value >> segment) & 0x0f;
  return byte ^ mask;
}

function alawDecodeSlow(byte: number): number {
  const a = byte ^ 0x55;
  let t = (a & 0x0f) << 4;
  const segment = (a & 0x70) >> 4;
  if (segment === 0) {
    t += 8;
  } else {
    t += 0x108;
    if (segment > 1) {
      t <<= segment - 1;
    }
  }
  return (a & 0x80) !== 0 ? t : -t;
}

const MULAW_DECODE = new Int16Array(256);
const ALAW_DECODE = new Int16Array(256);
for (let b = 0; b < 256; b += 1) {
  MULAW_DECODE[b] = mulawDecodeSlow(b);
  ALAW_DECODE[b] = alawDecodeSlow(b);
}

// Indexed by sample + 32768.
const MULAW_ENCODE = new Uint8Array(65536);
const ALAW_ENCODE = new Uint8Array(65536);
for (let s = -32768; s < 32768; s += 1) {
  MULAW_ENCODE[s + 32768] = mulawEncodeSlow(s);
  ALAW_ENCODE[s + 32768] = alawEncodeSlow(s);
}

function clamp16(sample: number): number {
  return sample > 32767 ? 32767 : sample < -32768 ? -32768 : sample | 0;
}

export function mulawEncodeSample(sample: number): number {
  return MULAW_ENCODE[clamp16(sample) + 32768] ?? MULAW_SILENCE;
}

export function mulawDecodeSample(byte: number): number {
  return MULAW_DECODE[byte & 0xff] ?? 0;
}

export function alawEncodeSample(sample: number): number {
  return ALAW_ENCODE[clamp16(sample) + 32768] ?? ALAW_SILENCE;
}

export function alawDecodeSample(byte: number): number {
  return ALAW_DECODE[byte & 0xff] ?? 0;
}

/** Encodes 16-bit PCM to μ-law bytes. */
export function mulawEncode(pcm: ArrayLike<number>): Buffer {
  const out = Buffer.allocUnsafe(pcm.length);
  for (let i = 0; i < pcm.length; i += 1) {
    out[i] = MULAW_ENCODE[clamp16(pcm[i] ?? 0) + 32768] ?? MULAW_SILENCE;
  }
  return out;
}

/** Decodes μ-law bytes to 16-bit PCM. */
export function mulawDecode(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 1) {
    out[i] = MULAW_DECODE[bytes[i] ?? MULAW_SILENCE] ?? 0;
  }
  return out;
}

/** Encodes 16-bit PCM to A-law bytes. */
export function alawEncode(pcm: ArrayLike<number>): Buffer {
  const out = Buffer.allocUnsafe(pcm.length);
  for (let i = 0; i < pcm.length; i += 1) {
    out[i] = ALAW_ENCODE[clamp16(pcm[i] ?? 0) + 32768] ?? ALAW_SILENCE;
  }
  return out;
}

/** Decodes A-law bytes to 16-bit PCM. */
export function alawDecode(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 1) {
    out[i] = ALAW_DECODE[bytes[i] ?? ALAW_SILENCE] ?? 0;
  }
  return out;
}

/** Float samples in [-1, 1] to 16-bit PCM, clipping. */
export function floatToInt16(samples: ArrayLike<number>): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i += 1) {
    out[i] = clamp16(Math.round((samples[i] ?? 0) * 32767));
  }
  return out;
}

/** 16-bit PCM to float samples in [-1, 1). */
export function int16ToFloat(samples: ArrayLike<number>): Float32Array {
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i += 1) {
    out[i] = (samples[i] ?? 0) / 32768;
  }
  return out;
}
