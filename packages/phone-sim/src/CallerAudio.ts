import {
  alawEncode,
  floatToInt16,
  int16ToFloat,
  mulawDecode,
  mulawEncode,
  ALAW_SILENCE,
  MULAW_SILENCE,
} from './audio/g711.js';

/** The codecs the simulated caller's phone can send. */
export type CallerCodec = 'PCMU' | 'PCMA';

export const SAMPLES_PER_FRAME = 160;

interface Encoded {
  frames: string[];
  silence: string;
}

/**
 * What the caller says, cut into 20 ms frames and base64-encoded once, so any number of calls can
 * share it: sending a frame is an array read. Past its end the caller is silent (or it loops).
 */
export class CallerAudio {
  /** The caller's audio at 8 kHz, floats in [-1, 1]. */
  readonly samples: Float32Array;
  readonly loop: boolean;
  private readonly encoded = new Map<CallerCodec, Encoded>();

  constructor(samples8k: Float32Array, options: { loop?: boolean } = {}) {
    this.samples = samples8k;
    this.loop = options.loop ?? false;
  }

  static silence(): CallerAudio {
    return new CallerAudio(new Float32Array(0));
  }

  /** Whole frames of audio (a partial last frame counts). */
  get frameCount(): number {
    return Math.ceil(this.samples.length / SAMPLES_PER_FRAME);
  }

  get durationMs(): number {
    return (this.samples.length / 8000) * 1000;
  }

  /** Base64 payload of frame `index` in `codec`. */
  payload(index: number, codec: CallerCodec = 'PCMU'): string {
    const encoded = this.encode(codec);
    const n = encoded.frames.length;
    if (n === 0) {
      return encoded.silence;
    }
    if (index < n) {
      return encoded.frames[index] ?? encoded.silence;
    }
    return this.loop ? (encoded.frames[index % n] ?? encoded.silence) : encoded.silence;
  }

  /**
   * What the far end decodes from the first `frames` frames (μ-law quantization included), on the
   * call's time line: the reference for latency and quality measurements.
   */
  sent(frames: number): Float32Array {
    const out = new Float32Array(frames * SAMPLES_PER_FRAME);
    for (let i = 0; i < frames; i += 1) {
      const bytes = Buffer.from(this.payload(i, 'PCMU'), 'base64');
      out.set(int16ToFloat(mulawDecode(bytes)), i * SAMPLES_PER_FRAME);
    }
    return out;
  }

  private encode(codec: CallerCodec): Encoded {
    let encoded = this.encoded.get(codec);
    if (encoded === undefined) {
      const pcm = floatToInt16(this.samples);
      const frames: string[] = [];
      for (let offset = 0; offset < pcm.length; offset += SAMPLES_PER_FRAME) {
        const frame = new Int16Array(SAMPLES_PER_FRAME);
        frame.set(pcm.subarray(offset, offset + SAMPLES_PER_FRAME));
        frames.push((codec === 'PCMU' ? mulawEncode(frame) : alawEncode(frame)).toString('base64'));
      }
      const silence = Buffer.alloc(
        SAMPLES_PER_FRAME,
        codec === 'PCMU' ? MULAW_SILENCE : ALAW_SILENCE,
      );
      encoded = { frames, silence: silence.toString('base64') };
      this.encoded.set(codec, encoded);
    }
    return encoded;
  }
}
