import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { alawDecode, mulawDecode, mulawEncode } from '@palaver/phone-sim';
import type { Logger } from 'pino';
import { ErrorCode, PalaverError } from '../../errors.js';
import type { CallerCodec } from './ingestFrames.js';
import type {
  FromWorker,
  G711Tables,
  ToWorker,
  TranscodeJob,
  TranscodeResult,
} from './transcodeProtocol.js';

export interface TranscoderPoolOptions {
  logger: Logger;
  /** Worker threads; default: one per core. */
  size?: number;
  /** Opus bitrate of the callers' audio, bit/s. Default 24 000. */
  bitrate?: number;
}

/** One call's place in the pool. */
export interface TranscoderChannel {
  readonly id: number;
  /** Queues 20 ms of work; it goes out with the next {@link TranscoderPool.flush}. */
  submit(caller: Uint8Array | null, room: Uint8Array | null): void;
  close(): void;
}

export interface TranscoderSink {
  result(result: TranscodeResult): void;
  /** The worker failed this call (or died); the call cannot carry audio any more. */
  failed(message: string): void;
}

/** The transcoding workers are missing or failed. */
export class TranscoderError extends PalaverError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(ErrorCode.Internal, message, options);
  }
}

interface PoolWorker {
  worker: Worker;
  channels: Map<number, TranscoderSink>;
  pending: TranscodeJob[];
  batch: number;
  busyMs: number;
  ready: boolean;
  dead: boolean;
}

/**
 * Worker threads that turn callers' G.711 into Opus and the room's Opus into μ-law, so many calls
 * use every core while the main thread only moves frames. Each call is pinned to the least busy
 * worker (Opus codecs keep state). Work is batched per 20 ms tick: one message per worker.
 */
export class TranscoderPool {
  readonly #logger: Logger;
  readonly #bitrate: number;
  readonly #workers: PoolWorker[] = [];
  #nextChannel = 1;
  #closed = false;

  constructor(options: TranscoderPoolOptions) {
    this.#logger = options.logger;
    this.#bitrate = options.bitrate ?? 24_000;
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

  /** CPU time the workers spent transcoding, in ms (for benchmarks). */
  get busyMs(): number {
    return this.#workers.reduce((sum, w) => sum + w.busyMs, 0);
  }

  /** Gives a call its encoder and decoder in the least loaded worker. */
  open(codec: CallerCodec, sink: TranscoderSink): TranscoderChannel {
    if (this.#closed) {
      throw new TranscoderError('the transcoder pool is closed');
    }
    const live = this.#workers.filter((w) => !w.dead);
    if (live.length === 0) {
      throw new TranscoderError('no transcoding worker is running');
    }
    const target = live.reduce((a, b) => (b.channels.size < a.channels.size ? b : a));
    const id = this.#nextChannel++;
    target.channels.set(id, sink);
    this.#post(target, { type: 'open', channel: id, codec, bitrate: this.#bitrate });
    let open = true;
    return {
      id,
      submit: (caller, room) => {
        if (open && !target.dead) {
          target.pending.push({ channel: id, caller, room });
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
      if (w.pending.length > 0 && !w.dead) {
        const jobs = w.pending;
        w.pending = [];
        w.batch += 1;
        this.#post(w, { type: 'tick', batch: w.batch, jobs });
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

  #spawn(url: URL): PoolWorker {
    const worker = new Worker(url, { name: 'palaver-transcoder', workerData: g711Tables() });
    const entry: PoolWorker = {
      worker,
      channels: new Map(),
      pending: [],
      batch: 0,
      busyMs: 0,
      ready: false,
      dead: false,
    };
    worker.unref();
    worker.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'done':
          entry.busyMs += message.busyMs;
          for (const result of message.results) {
            entry.channels.get(result.channel)?.result(result);
          }
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
