// Messages between the transcoder pool (main thread) and its workers. One `tick` message carries
// every call's 20 ms of work for one worker, so the cost per call is a few array entries, not a
// message of its own.

import type { CallerCodec } from './ingestFrames.js';

/** The caller's 160 G.711 bytes (or null: silence) and the room's Opus packet (or null). */
export interface TranscodeJob {
  channel: number;
  caller: Uint8Array | null;
  room: Uint8Array | null;
}

export interface TranscodeResult {
  channel: number;
  /** The caller's audio as Opus, for the room (always set: silence is encoded too). */
  opus: Uint8Array;
  /** The caller's level in dBFS (a full-scale sine is 0). */
  levelDbfs: number;
  /** 160 μ-law bytes for the caller, when a room packet was given and decoded. */
  ulaw: Uint8Array | null;
}

export type ToWorker =
  | { type: 'open'; channel: number; codec: CallerCodec; bitrate: number }
  | { type: 'close'; channel: number }
  | { type: 'tick'; batch: number; jobs: TranscodeJob[] };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'done'; batch: number; results: TranscodeResult[]; busyMs: number }
  | { type: 'failed'; channel: number; message: string };

/** G.711 lookup tables the pool hands each worker: 256 decoded samples per law, and μ-law by sample + 32768. */
export interface G711Tables {
  mulawDecode: Int16Array;
  alawDecode: Int16Array;
  mulawEncode: Uint8Array;
}
