import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { alawDecode, mulawDecode, mulawEncode } from '@palaver/phone-sim';
import type { Logger } from 'pino';
import { ErrorCode, PalaverError } from '../../errors.js';
import type { CallerCodec } from './ingestFrames.js';
import { OPUS_PAYLOAD_TYPE } from './rtp.js';
import {
  JOB_HEADER_BYTES,
  RESULT_HEADER_BYTES,
  RecordWriter,
  type FromWorker,
  type G711Tables,
  type ToWorker,
} from './transcodeProtocol.js';

export interface TranscoderPoolOptions {
  logger: Logger;
  /** Worker threads; default: one per core. */
  size?: number;
  /** Opus bitrate of the callers' audio, bit/s. Default 24 000. */
  bitrate?: number;
  /**
   * Calls a worker takes before the next worker gets any (default 24, about 2 ms of work a tick):
   * calls cost less on one thread than spread thin, since every worker wakes up each tick and a
   * thread's wake-up costs as much as a few calls' Opus. Beyond that, calls go to the least
   * loaded worker (so 50 calls on two workers are 25 and 25, which a busy machine tolerates
   * better than 32 and 18).
   */
  fillPerWorker?: number;
}

/** One call's place in the pool. */
export interface TranscoderChannel {
  readonly id: number;
  /**
   * Queues 20 ms of work (the caller's 160 G.711 bytes or null for silence, the room's Opus
   * packet or null); it goes out with the next {@link TranscoderPool.flush}. The bytes are copied.
   */
  submit(caller: Uint8Array | null, room: Uint8Array | null): void;
  close(): void;
}

/**
 * One call's 20 ms, transcoded. The buffers are views into the worker's answer, valid until the
 * sink returns (sending them is fine: nothing reuses that memory).
 */
export interface TranscodedFrame {
  channel: number;
  /**
   * The worker was too far behind to take this tick's work (the machine is overloaded): nothing
   * was transcoded, and these tell what was lost. Results keep the order of the submissions.
   */
  overloaded: { caller: boolean; room: boolean } | null;
  /** The caller's audio as an RTP packet of Opus, ready for Janus (silence is encoded too). */
  rtp: Buffer;
  /** The caller's level in dBFS (a full-scale sine is 0). */
  levelDbfs: number;
  /** The room's level in dBFS, -Infinity when there was no room packet. */
  roomLevelDbfs: number;
  /** The room's audio as a whole Telnyx `media` frame (UTF-8 JSON), when a room packet was given. */
  media: Buffer | null;
}

export interface TranscoderSink {
  result(frame: TranscodedFrame): void;
  /** The worker failed this call (or died); the call cannot carry audio any more. */
  failed(message: string): void;
}

/**
 * Ticks of work a worker may have outstanding; more is dropped rather than queued. A second, as
 * the clock's catch-up: a worker that was not scheduled for a while catches up without loss.
 */
const MAX_BATCHES_IN_FLIGHT = 50;

/** The transcoding workers are missing or failed. */
export class TranscoderError extends PalaverError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(ErrorCode.Internal, message, options);
  }
}

interface PoolWorker {
  worker: Worker;
  channels: Map<number, TranscoderSink>;
  jobs: RecordWriter;
  batch: number;
  /** Batches posted and not answered yet. */
  inFlight: number;
  busyMs: number;
  ready: boolean;
  dead: boolean;
}

/**
 * Worker threads that turn callers' G.711 into Opus and the room's Opus into μ-law, so many calls
 * use every core while the main thread only moves frames. Each call is pinned to one worker (Opus
 * codecs keep state). Work is batched per 20 ms tick: one transferred buffer per worker each way.
 */
export class TranscoderPool {
  readonly #logger: Logger;
  readonly #bitrate: number;
  readonly #fillPerWorker: number;
  readonly #workers: PoolWorker[] = [];
  /** Reused for every result: sinks read it synchronously. */
  readonly #frame: TranscodedFrame = {
    channel: 0,
    overloaded: null,
    rtp: Buffer.alloc(0),
    levelDbfs: -Infinity,
    roomLevelDbfs: -Infinity,
    media: null,
  };
  #nextChannel = 1;
  #closed = false;

  constructor(options: TranscoderPoolOptions) {
    this.#logger = options.logger;
    this.#bitrate = options.bitrate ?? 24_000;
    this.#fillPerWorker = options.fillPerWorker ?? 24;
    const size = Math.max(1, options.size ?? availableParallelism());
    const url = workerUrl();
    if (!existsSync(fileURLToPath(url))) {
      throw new TranscoderError(
        `the transcoding worker ${fileURLToPath(url)} is missing; build the server first (npm run build)`,
      );
    }
    for (let i = 0; i < size; i += 1) {
      this.#workers.push(this.#spawn(url));
    }
  }

  get size(): number {
    return this.#workers.length;
  }

  /** Wall time the workers spent transcoding, in ms (for benchmarks). */
  get busyMs(): number {
    return this.#workers.reduce((sum, w) => sum + w.busyMs, 0);
  }

  /** Gives a call its encoder and decoder in a worker. */
  open(codec: CallerCodec, sink: TranscoderSink): TranscoderChannel {
    if (this.#closed) {
      throw new TranscoderError('the transcoder pool is closed');
    }
    const target = this.#pick();
    if (target === undefined) {
      throw new TranscoderError('no transcoding worker is running');
    }
    const id = this.#nextChannel++;
    target.channels.set(id, sink);
    this.#post(target, {
      type: 'open',
      channel: id,
      codec,
      bitrate: this.#bitrate,
      rtp: {
        payloadType: OPUS_PAYLOAD_TYPE,
        ssrc: randomInt(1, 2 ** 32),
        sequence: randomInt(0, 65536),
        timestamp: randomInt(0, 2 ** 32),
      },
    });
    let open = true;
    return {
      id,
      submit: (caller, room) => {
        if (!open || target.dead) {
          return;
        }
        const callerLength = caller?.length ?? 0;
        const roomLength = Math.min(room?.length ?? 0, 0xffff);
        const jobs = target.jobs;
        const at = jobs.begin(JOB_HEADER_BYTES + callerLength + roomLength);
        const view = jobs.view;
        view.setUint32(at, id, true);
        view.setUint16(at + 4, callerLength, true);
        view.setUint16(at + 6, roomLength, true);
        if (caller !== null) {
          jobs.bytes.set(caller, at + JOB_HEADER_BYTES);
        }
        if (room !== null && roomLength > 0) {
          jobs.bytes.set(room.subarray(0, roomLength), at + JOB_HEADER_BYTES + callerLength);
        }
      },
      close: () => {
        if (!open) {
          return;
        }
        open = false;
        target.channels.delete(id);
        if (!target.dead) {
          this.#post(target, { type: 'close', channel: id });
        }
      },
    };
  }

  /** Sends the work queued since the last flush, one message per worker. */
  flush(): void {
    for (const w of this.#workers) {
      if (w.jobs.count > 0 && !w.dead) {
        const count = w.jobs.count;
        const jobs = w.jobs.take();
        if (w.inFlight >= MAX_BATCHES_IN_FLIGHT) {
          // Queuing more would only make every call on this worker later and later.
          this.#dropBatch(w, count, jobs);
          continue;
        }
        w.batch += 1;
        w.inFlight += 1;
        w.worker.postMessage({ type: 'tick', batch: w.batch, count, jobs } satisfies ToWorker, [
          jobs,
        ]);
      }
    }
  }

  /** Stops the workers. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    await Promise.allSettled(
      this.#workers.map((w) => {
        w.dead = true;
        return w.worker.terminate();
      }),
    );
  }

  /** The fullest worker still under its fill, else the least loaded one. */
  #pick(): PoolWorker | undefined {
    let filling: PoolWorker | undefined;
    let least: PoolWorker | undefined;
    for (const w of this.#workers) {
      if (w.dead) {
        continue;
      }
      const n = w.channels.size;
      if (n < this.#fillPerWorker && (filling === undefined || n > filling.channels.size)) {
        filling = w;
      }
      if (least === undefined || n < least.channels.size) {
        least = w;
      }
    }
    return filling ?? least;
  }

  /** Tells each call of a batch that was not sent that its tick's work was dropped. */
  #dropBatch(entry: PoolWorker, count: number, jobs: ArrayBuffer): void {
    const view = new DataView(jobs);
    const frame = this.#frame;
    frame.rtp = Buffer.alloc(0);
    frame.media = null;
    frame.levelDbfs = -Infinity;
    frame.roomLevelDbfs = -Infinity;
    let p = 0;
    for (let i = 0; i < count; i += 1) {
      const channel = view.getUint32(p, true);
      const callerLength = view.getUint16(p + 4, true);
      const roomLength = view.getUint16(p + 6, true);
      p += JOB_HEADER_BYTES + callerLength + roomLength;
      frame.channel = channel;
      frame.overloaded = { caller: callerLength > 0, room: roomLength > 0 };
      entry.channels.get(channel)?.result(frame);
    }
    frame.overloaded = null;
  }

  #deliver(entry: PoolWorker, count: number, results: ArrayBuffer): void {
    const view = new DataView(results);
    const frame = this.#frame;
    frame.overloaded = null;
    let p = 0;
    for (let i = 0; i < count; i += 1) {
      const start = p;
      const channel = view.getUint32(start, true);
      const rtpLength = view.getUint16(start + 12, true);
      const mediaLength = view.getUint16(start + 14, true);
      const at = start + RESULT_HEADER_BYTES;
      p = at + rtpLength + mediaLength;
      const sink = entry.channels.get(channel);
      if (sink === undefined) {
        continue;
      }
      frame.channel = channel;
      frame.levelDbfs = view.getFloat32(start + 4, true);
      frame.roomLevelDbfs = view.getFloat32(start + 8, true);
      frame.rtp = Buffer.from(results, at, rtpLength);
      frame.media = mediaLength > 0 ? Buffer.from(results, at + rtpLength, mediaLength) : null;
      sink.result(frame);
    }
  }

  #spawn(url: URL): PoolWorker {
    const worker = new Worker(url, { name: 'palaver-transcoder', workerData: g711Tables() });
    const entry: PoolWorker = {
      worker,
      channels: new Map(),
      jobs: new RecordWriter(),
      batch: 0,
      inFlight: 0,
      busyMs: 0,
      ready: false,
      dead: false,
    };
    worker.unref();
    worker.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'done':
          entry.inFlight -= 1;
          entry.busyMs += message.busyMs;
          this.#deliver(entry, message.count, message.results);
          break;
        case 'failed':
          this.#logger.error(
            { channel: message.channel, reason: message.message },
            'phone bridge: transcoding failed for a call',
          );
          entry.channels.get(message.channel)?.failed(message.message);
          break;
        case 'ready':
          entry.ready = true;
          break;
      }
    });
    const die = (reason: string): void => {
      if (entry.dead) {
        return;
      }
      entry.dead = true;
      this.#logger.error({ reason }, 'phone bridge: a transcoding worker stopped');
      for (const sink of entry.channels.values()) {
        sink.failed(reason);
      }
      entry.channels.clear();
      if (!this.#closed && entry.ready) {
        // Calls on the dead worker have ended; new ones go to a fresh worker in its place (not
        // when it died starting: that would only fail again).
        const index = this.#workers.indexOf(entry);
        if (index >= 0) {
          this.#workers[index] = this.#spawn(url);
        }
      }
    };
    worker.on('error', (error) => die(error.message));
    worker.on('exit', (code) => die(`exited with code ${code}`));
    return entry;
  }

  #post(w: PoolWorker, message: ToWorker): void {
    w.worker.postMessage(message);
  }
}

let tables: G711Tables | undefined;

/** The audio kit's G.711 conversions as tables, for the workers. */
function g711Tables(): G711Tables {
  if (tables === undefined) {
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const samples = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    tables = {
      mulawDecode: mulawDecode(codes),
      alawDecode: alawDecode(codes),
      mulawEncode: new Uint8Array(mulawEncode(samples)),
    };
  }
  return tables;
}

/**
 * The worker's file. From `dist/` it sits next to this module; when the server runs from its
 * TypeScript sources (tests), Node cannot start a `.ts` worker, so the built one is used.
 */
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('../../../dist/telephony/bridge/transcodeWorker.js', here)
    : new URL('./transcodeWorker.js', here);
}
