import { PhoneSimError, PhoneSimErrorCode } from '../errors.js';
import {
  alawDecodeSample,
  alawEncode,
  floatToInt16,
  mulawDecodeSample,
  mulawEncode,
} from './g711.js';

/** How samples are stored in a WAV file's data chunk. */
export type WavEncoding =
  'pcm8' | 'pcm16' | 'pcm24' | 'pcm32' | 'float32' | 'float64' | 'mulaw' | 'alaw';

export interface WavAudio {
  sampleRate: number;
  encoding: WavEncoding;
  /** One array per channel, samples in [-1, 1]. */
  channels: Float32Array[];
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_ALAW = 6;
const FORMAT_MULAW = 7;
const FORMAT_EXTENSIBLE = 0xfffe;

function invalid(detail: string): PhoneSimError {
  return new PhoneSimError(
    PhoneSimErrorCode.InvalidAudio,
    `not a WAV file this kit reads: ${detail}`,
  );
}

function encodingOf(format: number, bits: number): WavEncoding {
  if (format === FORMAT_PCM) {
    switch (bits) {
      case 8:
        return 'pcm8';
      case 16:
        return 'pcm16';
      case 24:
        return 'pcm24';
      case 32:
        return 'pcm32';
    }
  } else if (format === FORMAT_FLOAT && (bits === 32 || bits === 64)) {
    return bits === 32 ? 'float32' : 'float64';
  } else if (format === FORMAT_MULAW && bits === 8) {
    return 'mulaw';
  } else if (format === FORMAT_ALAW && bits === 8) {
    return 'alaw';
  }
  throw invalid(`format ${format} with ${bits} bits per sample`);
}

function readSample(data: Buffer, offset: number, encoding: WavEncoding): number {
  switch (encoding) {
    case 'pcm8':
      return (data.readUInt8(offset) - 128) / 128;
    case 'pcm16':
      return data.readInt16LE(offset) / 32768;
    case 'pcm24':
      return data.readIntLE(offset, 3) / 8388608;
    case 'pcm32':
      return data.readInt32LE(offset) / 2147483648;
    case 'float32':
      return data.readFloatLE(offset);
    case 'float64':
      return data.readDoubleLE(offset);
    case 'mulaw':
      return mulawDecodeSample(data.readUInt8(offset)) / 32768;
    case 'alaw':
      return alawDecodeSample(data.readUInt8(offset)) / 32768;
  }
}

/**
 * Reads a RIFF/WAVE file: integer PCM (8–32 bit), IEEE float, μ-law and A-law, plain or
 * WAVE_FORMAT_EXTENSIBLE. A data chunk whose size field overruns the file (as streaming writers
 * such as `espeak-ng --stdout` leave it) is read to the end of the file.
 */
export function readWav(file: Uint8Array): WavAudio {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (
    buf.length < 12 ||
    buf.toString('ascii', 0, 4) !== 'RIFF' ||
    buf.toString('ascii', 8, 12) !== 'WAVE'
  ) {
    throw invalid('no RIFF/WAVE header');
  }
  let offset = 12;
  let fmt:
    | { format: number; channels: number; sampleRate: number; bits: number; blockAlign: number }
    | undefined;
  let data: Buffer | undefined;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    const end = Math.min(buf.length, body + size);
    if (id === 'fmt ') {
      if (end - body < 16) {
        throw invalid('fmt chunk too short');
      }
      let format = buf.readUInt16LE(body);
      if (format === FORMAT_EXTENSIBLE && end - body >= 26) {
        // The sub-format GUID starts with the plain format code.
        format = buf.readUInt16LE(body + 24);
      }
      fmt = {
        format,
        channels: buf.readUInt16LE(body + 2),
        sampleRate: buf.readUInt32LE(body + 4),
        blockAlign: buf.readUInt16LE(body + 12),
        bits: buf.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      data = buf.subarray(body, end);
      break;
    }
    offset = body + size + (size % 2);
  }
  if (fmt === undefined) {
    throw invalid('no fmt chunk');
  }
  if (data === undefined) {
    throw invalid('no data chunk');
  }
  if (fmt.channels < 1 || fmt.sampleRate < 1) {
    throw invalid(`${fmt.channels} channels at ${fmt.sampleRate} Hz`);
  }
  const encoding = encodingOf(fmt.format, fmt.bits);
  const bytesPerSample = fmt.bits / 8;
  const blockAlign = fmt.blockAlign || bytesPerSample * fmt.channels;
  const frames = Math.floor(data.length / blockAlign);
  const channels: Float32Array[] = [];
  for (let c = 0; c < fmt.channels; c += 1) {
    const channel = new Float32Array(frames);
    for (let i = 0; i < frames; i += 1) {
      channel[i] = readSample(data, i * blockAlign + c * bytesPerSample, encoding);
    }
    channels.push(channel);
  }
  return { sampleRate: fmt.sampleRate, encoding, channels };
}

/** The average of all channels. */
export function toMono(audio: WavAudio): Float32Array {
  const [first, ...rest] = audio.channels;
  if (first === undefined) {
    return new Float32Array(0);
  }
  if (rest.length === 0) {
    return first;
  }
  const out = new Float32Array(first.length);
  for (const channel of audio.channels) {
    for (let i = 0; i < out.length; i += 1) {
      out[i] = (out[i] ?? 0) + (channel[i] ?? 0) / audio.channels.length;
    }
  }
  return out;
}

export interface WriteWavOptions {
  sampleRate: number;
  /** `pcm16` (default), `mulaw`, `alaw` or `float32`. */
  encoding?: 'pcm16' | 'mulaw' | 'alaw' | 'float32';
}

/**
 * Writes a mono WAV file. `samples` are floats in [-1, 1], or an Int16Array of 16-bit PCM.
 */
export function writeWav(samples: Float32Array | Int16Array, options: WriteWavOptions): Buffer {
  const encoding = options.encoding ?? 'pcm16';
  const pcm16 = samples instanceof Int16Array ? samples : floatToInt16(samples);
  let payload: Buffer;
  let format: number;
  let bits: number;
  switch (encoding) {
    case 'pcm16':
      payload = Buffer.from(pcm16.buffer, pcm16.byteOffset, pcm16.byteLength);
      if (!isLittleEndianHost()) {
        payload = Buffer.from(payload);
        payload.swap16();
      }
      format = FORMAT_PCM;
      bits = 16;
      break;
    case 'mulaw':
      payload = mulawEncode(pcm16);
      format = FORMAT_MULAW;
      bits = 8;
      break;
    case 'alaw':
      payload = alawEncode(pcm16);
      format = FORMAT_ALAW;
      bits = 8;
      break;
    case 'float32': {
      payload = Buffer.alloc(samples.length * 4);
      for (let i = 0; i < samples.length; i += 1) {
        const v = samples instanceof Int16Array ? (samples[i] ?? 0) / 32768 : (samples[i] ?? 0);
        payload.writeFloatLE(v, i * 4);
      }
      format = FORMAT_FLOAT;
      bits = 32;
      break;
    }
  }
  // Non-PCM formats carry a cbSize field (18-byte fmt chunk), as the WAVE spec asks.
  const fmtSize = format === FORMAT_PCM ? 16 : 18;
  const header = Buffer.alloc(12 + 8 + fmtSize + 8);
  const blockAlign = bits / 8;
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(header.length - 8 + payload.length + (payload.length % 2), 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(fmtSize, 16);
  header.writeUInt16LE(format, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(options.sampleRate, 24);
  header.writeUInt32LE(options.sampleRate * blockAlign, 28);
  header.writeUInt16LE(blockAlign, 32);
  header.writeUInt16LE(bits, 34);
  const dataAt = 20 + fmtSize;
  header.write('data', dataAt, 'ascii');
  header.writeUInt32LE(payload.length, dataAt + 4);
  const pad = payload.length % 2 === 1 ? Buffer.alloc(1) : Buffer.alloc(0);
  return Buffer.concat([header, payload, pad]);
}

function isLittleEndianHost(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}
