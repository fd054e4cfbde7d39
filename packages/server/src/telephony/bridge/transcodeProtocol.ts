// Messages between the transcoder pool (main thread) and its workers. Once per 20 ms tick each
// worker gets one message whose ArrayBuffer holds every call's work and answers with one
// ArrayBuffer of results. The buffers are transferred, not cloned: per call and frame the main
// thread only copies a few bytes in and reads a few views out.

import type { CallerCodec } from './ingestFrames.js';

/** What a channel's RTP stream to Janus starts with (the worker numbers the packets). */
export interface RtpStart {
  payloadType: number;
  ssrc: number;
  sequence: number;
  timestamp: number;
}

export type ToWorker =
  | { type: 'open'; channel: number; codec: CallerCodec; bitrate: number; rtp: RtpStart }
  | { type: 'close'; channel: number }
  /** `jobs` holds `count` jobs, see {@link JOB_HEADER_BYTES}. */
  | { type: 'tick'; batch: number; count: number; jobs: ArrayBuffer };

export type FromWorker =
  | { type: 'ready' }
  /** `results` holds `count` results, see {@link RESULT_HEADER_BYTES}. */
  | { type: 'done'; batch: number; count: number; results: ArrayBuffer; busyMs: number }
  | { type: 'failed'; channel: number; message: string };

/**
 * A job: channel (u32), caller bytes (u16; 0 means silence), room bytes (u16; 0 means no room
 * packet this tick), then the caller's G.711 bytes and the room's Opus packet. Little-endian.
 */
export const JOB_HEADER_BYTES = 8;

/**
 * A result: channel (u32), the caller's and the room's level in dBFS (f32 each; a full-scale
 * sine is 0; the room's is -Infinity without a room packet), RTP bytes (u16), media-frame bytes
 * (u16; 0 when there was no room packet), then the RTP packet of the caller's Opus, ready for
 * Janus, and the whole Telnyx `media` frame for the caller as UTF-8 JSON.
 */
export const RESULT_HEADER_BYTES = 16;

/** G.711 lookup tables the pool hands each worker: 256 decoded samples per law, and μ-law by sample + 32768. */
export interface G711Tables {
  mulawDecode: Int16Array;
  alawDecode: Int16Array;
  mulawEncode: Uint8Array;
}

/** A byte buffer that grows as records are appended; `take()` hands out a compact copy. */
export class RecordWriter {
  #bytes: Uint8Array<ArrayBuffer>;
  #view: DataView;
  #length = 0;
  #count = 0;

  constructor(capacity = 16 * 1024) {
    this.#bytes = new Uint8Array(capacity);
    this.#view = new DataView(this.#bytes.buffer);
  }

  get count(): number {
    return this.#count;
  }

  /** Makes room for a record of `bytes` bytes and returns where it starts. */
  begin(bytes: number): number {
    const needed = this.#length + bytes;
    if (needed > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(needed, this.#bytes.length * 2));
      grown.set(this.#bytes.subarray(0, this.#length));
      this.#bytes = grown;
      this.#view = new DataView(grown.buffer);
    }
    const at = this.#length;
    this.#length = needed;
    this.#count += 1;
    return at;
  }

  /** Gives back the unused end of the record begun last (its final size is known later). */
  shrinkLast(unused: number): void {
    this.#length -= unused;
  }

  get bytes(): Uint8Array<ArrayBuffer> {
    return this.#bytes;
  }

  get view(): DataView {
    return this.#view;
  }

  /** The records written since the last take, as a fresh ArrayBuffer to transfer. */
  take(): ArrayBuffer {
    const out = this.#bytes.buffer.slice(0, this.#length);
    this.#length = 0;
    this.#count = 0;
    return out;
  }
}
