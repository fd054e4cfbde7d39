import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import type { Logger } from 'pino';
import {
  ErrorCode,
  InvalidStateError,
  NotFoundError,
  PalaverError,
  ValidationError,
} from '../errors.js';
import { SafeEventEmitter } from '../SafeEventEmitter.js';
import { CompositionRepository } from '../store/CompositionRepository.js';
import type { Page, PageRequest } from '../store/listQuery.js';
import type { Store } from '../store/Store.js';
import type { WebhookDispatcher } from '../webhooks/WebhookDispatcher.js';
import { parseResolution } from './composition/CompositionLayout.js';
import type { RecordingService } from './RecordingService.js';
import { sizeMb } from './RecordingService.js';
import type {
  CompositionFilter,
  CompositionRequest,
  RoomComposition,
  RoomRecording,
  VideoRegion,
} from './types.js';

export type { Resolution } from './composition/CompositionLayout.js';
import type { Resolution } from './composition/CompositionLayout.js';

/** One track placed on the composition's timeline. */
export interface TimelineTrack {
  id: string;
  path: string;
  /** Seconds from the composition's start. */
  startSecs: number;
  endSecs: number;
}

export interface ComposeJob {
  outputPath: string;
  resolution: Resolution;
  durationSecs: number;
  videoLayout: Record<string, VideoRegion>;
  videos: TimelineTrack[];
  audios: TimelineTrack[];
  signal: AbortSignal;
  onProgress: (fraction: number) => void;
}

/** What lays recordings out into one video (ffmpeg in production). */
export interface CompositionEngine {
  /** Throws a ValidationError when the layout cannot be honoured. */
  validate(request: {
    resolution: Resolution;
    videoLayout: Record<string, VideoRegion>;
    recordingIds: readonly string[];
  }): void;
  compose(job: ComposeJob): Promise<{ durationSecs: number; sizeBytes: number }>;
}

export interface CompositionServiceOptions {
  store: Store;
  recordings: RecordingService;
  engine: CompositionEngine;
  logger: Logger;
  webhooks?: Pick<WebhookDispatcher, 'enqueue'> | undefined;
  /** Compositions made at once. Default: cores − 1, at least 1. */
  concurrency?: number | undefined;
  /** How often the queue is checked for work it could not start yet. Default 2 s. */
  pollIntervalMs?: number | undefined;
  onListenerError?: (error: unknown, event: string) => void;
}

export interface CompositionServiceEvents {
  progress: [RoomComposition];
  completed: [RoomComposition];
  failed: [RoomComposition];
}

/** A composition could not be made. */
export class CompositionError extends PalaverError {
  constructor(message: string, cause?: unknown) {
    super(ErrorCode.MediaProcessingFailed, message, { cause });
  }
}

/**
 * Compositions: a durable queue in the store (`enqueued` → `processing` → `completed` or
 * `failed`) worked by at most `concurrency` jobs. A composition that was `processing` when the
 * server stopped is `enqueued` again at the next start and made from scratch. A job waits
 * while its session is live or any of its recordings is still being converted.
 */
export class CompositionService extends SafeEventEmitter<CompositionServiceEvents> {
  readonly #store: Store;
  readonly #repository: CompositionRepository;
  readonly #recordings: RecordingService;
  readonly #engine: CompositionEngine;
  readonly #logger: Logger;
  readonly #webhooks: Pick<WebhookDispatcher, 'enqueue'> | undefined;
  readonly #concurrency: number;
  readonly #pollIntervalMs: number;
  readonly #running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  /** Compositions waiting for their session: not taken again before this time. */
  readonly #notBefore = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #pumping: Promise<void> | undefined;
  #pumpAgain = false;
  #started = false;
  #closed = false;

  constructor(options: CompositionServiceOptions) {
    super(options.onListenerError);
    this.#store = options.store;
    this.#repository = new CompositionRepository(options.store.db);
    this.#recordings = options.recordings;
    this.#engine = options.engine;
    this.#logger = options.logger;
    this.#webhooks = options.webhooks;
    this.#concurrency = Math.max(1, options.concurrency ?? availableParallelism() - 1);
    this.#pollIntervalMs = options.pollIntervalMs ?? 2000;
  }

  get concurrency(): number {
    return this.#concurrency;
  }

  /** Takes up the queue, including work a stopped server left `processing`. */
  async start(): Promise<void> {
    if (this.#started || this.#closed) {
      return;
    }
    this.#started = true;
    for (;;) {
      const stale = await this.#repository.listByStatus('processing', 100);
      if (stale.length === 0) {
        break;
      }
      for (const composition of stale) {
        await this.#repository.update(composition.id, {
          status: 'enqueued',
          progress: 0,
          updated_at: new Date().toISOString(),
        });
        this.#logger.info({ compositionId: composition.id }, 'composition resumed after restart');
      }
    }
    this.#timer = setInterval(() => this.#wake(), this.#pollIntervalMs);
    this.#timer.unref();
    this.#wake();
  }

  /** Validates and enqueues a composition of a session's recordings. */
  async create(request: CompositionRequest): Promise<RoomComposition> {
    if (this.#closed) {
      throw new InvalidStateError('the composition service is closed');
    }
    const format = request.format ?? 'mp4';
    if (format !== 'mp4') {
      throw new ValidationError('format must be "mp4"', { source: { pointer: '/format' } });
    }
    const resolutionText = request.resolution ?? '1280x720';
    const resolution = parseResolution(resolutionText);
    const session = await this.#store.sessions.find(request.sessionId);
    if (session === undefined) {
      throw new ValidationError(`room session ${request.sessionId} does not exist`, {
        source: { pointer: '/session_id' },
      });
    }
    const recordings = (
      await this.#recordings.list({ sessionId: session.id }, { number: 1, size: 250 })
    ).items;
    const usable = recordings.filter((r) => r.status !== 'failed');
    if (usable.length === 0) {
      throw new ValidationError(`room session ${session.id} has no recordings to compose`, {
        source: { pointer: '/session_id' },
      });
    }
    const videoLayout = request.videoLayout ?? {};
    this.#engine.validate({
      resolution,
      videoLayout,
      recordingIds: usable.filter((r) => r.type === 'video').map((r) => r.id),
    });
    const now = new Date().toISOString();
    const id = randomUUID();
    await this.#repository.insert({
      id,
      room_id: session.roomId,
      session_id: session.id,
      status: 'enqueued',
      format,
      resolution: `${resolution.width}x${resolution.height}`,
      video_layout: JSON.stringify(videoLayout),
      webhook_event_url: request.webhookEventUrl ?? null,
      webhook_event_failover_url: request.webhookEventFailoverUrl ?? null,
      webhook_timeout_secs: request.webhookTimeoutSecs ?? null,
      progress: 0,
      file_path: null,
      duration_ms: null,
      size_bytes: null,
      attempts: 0,
      error: null,
      started_at: null,
      ended_at: null,
      completed_at: null,
      created_at: now,
      updated_at: now,
    });
    this.#logger.info({ compositionId: id, sessionId: session.id }, 'composition enqueued');
    this.#wake();
    return (await this.#repository.find(id))!;
  }

  find(id: string): Promise<RoomComposition | undefined> {
    return this.#repository.find(id);
  }

  list(filter: CompositionFilter, page: PageRequest): Promise<Page<RoomComposition>> {
    return this.#repository.list(filter, page);
  }

  /** Deletes a composition (stopping it if it is being made) and its file. */
  async delete(id: string): Promise<void> {
    const composition = await this.#repository.find(id);
    if (composition === undefined) {
      throw new NotFoundError('room_composition', id);
    }
    const running = this.#running.get(id);
    if (running !== undefined) {
      running.abort.abort();
      await running.done;
    }
    await this.#repository.delete(id);
    if (composition.filePath !== null) {
      await rm(this.#recordings.absolutePath(composition.filePath), { force: true });
    }
    this.#logger.info({ compositionId: id }, 'composition deleted');
  }

  /** Resolves when no composition is being made. */
  async idle(): Promise<void> {
    while (this.#pumping !== undefined || this.#running.size > 0) {
      await Promise.allSettled([this.#pumping, ...[...this.#running.values()].map((r) => r.done)]);
    }
  }

  /** Stops the queue; compositions under way are interrupted and resume at the next start. */
  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    clearInterval(this.#timer);
    for (const { abort } of this.#running.values()) {
      abort.abort();
    }
    await Promise.allSettled([this.#pumping, ...[...this.#running.values()].map((r) => r.done)]);
  }

  // -------------------------------------------------------------------------------------------

  #wake(): void {
    if (!this.#started || this.#closed) {
      return;
    }
    if (this.#pumping !== undefined) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = this.#pump()
      .catch((error: unknown) => this.#logger.error({ err: error }, 'composition queue failed'))
      .finally(() => {
        this.#pumping = undefined;
        if (this.#pumpAgain) {
          this.#pumpAgain = false;
          this.#wake();
        }
      });
  }

  async #pump(): Promise<void> {
    const free = this.#concurrency - this.#running.size;
    if (free <= 0) {
      return;
    }
    const now = Date.now();
    const candidates = (await this.#repository.listByStatus('enqueued', 50)).filter(
      (c) => !this.#running.has(c.id) && (this.#notBefore.get(c.id) ?? 0) <= now,
    );
    for (const candidate of candidates.slice(0, free)) {
      if (this.#closed) {
        return;
      }
      const ready = await this.#tracksIfReady(candidate);
      if (ready === undefined) {
        this.#notBefore.set(candidate.id, Date.now() + this.#pollIntervalMs);
        continue;
      }
      const taken = await this.#repository.transition(candidate.id, 'enqueued', {
        status: 'processing',
        progress: 0,
        attempts: candidate.attempts + 1,
        updated_at: new Date().toISOString(),
      });
      if (!taken) {
        continue;
      }
      this.#notBefore.delete(candidate.id);
      const abort = new AbortController();
      const done = this.#run(candidate, ready, abort.signal).finally(() => {
        this.#running.delete(candidate.id);
        this.#wake();
      });
      this.#running.set(candidate.id, { abort, done });
    }
  }

  /** The session's recordings when the session is over and all of them are converted. */
  async #tracksIfReady(composition: RoomComposition): Promise<RoomRecording[] | undefined> {
    const session = await this.#store.sessions.find(composition.sessionId);
    if (session === undefined) {
      return [];
    }
    if (session.active) {
      return undefined;
    }
    const all = (await this.#recordings.list({ sessionId: session.id }, { number: 1, size: 250 }))
      .items;
    if (all.some((r) => r.status === 'processing')) {
      return undefined;
    }
    return all.filter((r) => r.status === 'completed' && r.filePath !== null);
  }

  async #run(
    composition: RoomComposition,
    recordings: RoomRecording[],
    signal: AbortSignal,
  ): Promise<void> {
    const log = this.#logger.child({ compositionId: composition.id });
    try {
      if (recordings.length === 0) {
        throw new CompositionError('the session has no completed recordings');
      }
      // The timeline is the session as people lived it: from its start to the last leave (not
      // its end, which waits out the rejoin grace), widened to any media outside that span.
      const session = await this.#store.sessions.find(composition.sessionId);
      const participants = await this.#store.participants.listForSessions([composition.sessionId]);
      const lastLeftMs = Math.max(
        0,
        ...participants.map((p) => (p.leftAt === null ? 0 : Date.parse(p.leftAt))),
      );
      const startMs = Math.min(
        session === undefined ? Infinity : Date.parse(session.createdAt),
        ...recordings.map((r) => Date.parse(r.startedAt)),
      );
      const endMs = Math.max(
        lastLeftMs,
        ...recordings.map((r) => Date.parse(r.endedAt ?? r.startedAt)),
      );
      const track = (r: RoomRecording): TimelineTrack => ({
        id: r.id,
        path: this.#recordings.absolutePath(r.filePath!),
        startSecs: (Date.parse(r.startedAt) - startMs) / 1000,
        endSecs: (Date.parse(r.endedAt ?? r.startedAt) - startMs) / 1000,
      });
      const folder = join(
        this.#recordings.root,
        composition.roomId,
        composition.sessionId,
        'compositions',
      );
      await mkdir(folder, { recursive: true });
      const outputPath = join(folder, `${composition.id}.mp4`);
      const [width = 1280, height = 720] = composition.resolution.split('x').map(Number);
      let lastPercent = -1;
      let lastWrite = 0;
      log.info({ tracks: recordings.length, durationMs: endMs - startMs }, 'composition started');
      const result = await this.#engine.compose({
        outputPath,
        resolution: { width, height },
        durationSecs: (endMs - startMs) / 1000,
        videoLayout: composition.videoLayout,
        videos: recordings.filter((r) => r.type === 'video').map(track),
        audios: recordings.filter((r) => r.type === 'audio').map(track),
        signal,
        onProgress: (fraction) => {
          const percent = Math.min(99, Math.floor(fraction * 100));
          // At most one store write a second, and none that goes backwards.
          if (percent > lastPercent && Date.now() - lastWrite >= 1000) {
            lastPercent = percent;
            lastWrite = Date.now();
            void this.#repository
              .update(composition.id, { progress: percent, updated_at: new Date().toISOString() })
              .then(() => this.#repository.find(composition.id))
              .then((current) => current && this.safeEmit('progress', current))
              .catch(() => undefined);
          }
        },
      });
      const completedAt = new Date().toISOString();
      await this.#repository.update(composition.id, {
        status: 'completed',
        progress: 100,
        file_path: relative(this.#recordings.root, outputPath),
        duration_ms: Math.round(result.durationSecs * 1000),
        size_bytes: result.sizeBytes,
        error: null,
        started_at: new Date(startMs).toISOString(),
        ended_at: new Date(endMs).toISOString(),
        completed_at: completedAt,
        updated_at: completedAt,
      });
      const completed = await this.#repository.find(composition.id);
      if (completed === undefined) {
        // Deleted while it was being finished: drop the file too.
        await rm(outputPath, { force: true });
        return;
      }
      log.info(
        { durationMs: completed.durationMs, sizeBytes: completed.sizeBytes },
        'composition completed',
      );
      await this.#announce(completed);
      this.safeEmit('completed', completed);
    } catch (error) {
      if (signal.aborted) {
        // Stopped by close() or delete(): a restart takes it up again, a delete removed it.
        log.info('composition interrupted');
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      log.error({ err: error }, 'composition failed');
      const now = new Date().toISOString();
      await this.#repository.update(composition.id, {
        status: 'failed',
        error: message.slice(0, 1000),
        updated_at: now,
        completed_at: now,
      });
      const failed = await this.#repository.find(composition.id);
      if (failed !== undefined) {
        await this.#announce(failed);
        this.safeEmit('failed', failed);
      }
    }
  }

  async #announce(composition: RoomComposition): Promise<void> {
    if (this.#webhooks === undefined) {
      return;
    }
    const completed = composition.status === 'completed';
    try {
      await this.#webhooks.enqueue(
        completed ? 'video.room.composition.completed' : 'video.room.composition.failed',
        {
          room_id: composition.roomId,
          session_id: composition.sessionId,
          composition_id: composition.id,
          status: completed ? 'completed' : 'failed',
          duration_secs:
            composition.durationMs === null ? null : Math.round(composition.durationMs / 1000),
          size_mb: composition.sizeBytes === null ? null : sizeMb(composition.sizeBytes),
          error: composition.error,
        },
        {
          target:
            composition.webhookEventUrl === null || composition.webhookEventUrl === ''
              ? undefined
              : {
                  url: composition.webhookEventUrl,
                  failoverUrl: composition.webhookEventFailoverUrl,
                  timeoutSecs: composition.webhookTimeoutSecs,
                },
        },
      );
    } catch (error) {
      this.#logger.error(
        { err: error, compositionId: composition.id },
        'composition webhook not stored',
      );
    }
  }
}
