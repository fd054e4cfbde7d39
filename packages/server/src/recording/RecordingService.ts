import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { ErrorCode, InvalidStateError, NotFoundError, PalaverError } from '../errors.js';
import { SafeEventEmitter } from '../SafeEventEmitter.js';
import type { Page, PageRequest } from '../store/listQuery.js';
import { RecordingRepository } from '../store/RecordingRepository.js';
import type { Store } from '../store/Store.js';
import type { WebhookDispatcher } from '../webhooks/WebhookDispatcher.js';
import { MjrConverter } from './MjrConverter.js';
import type { RecordingFilter, RoomRecording } from './types.js';

export interface RecordingServiceOptions {
  store: Store;
  /** The recordings folder (`<data dir>/recordings`). */
  root: string;
  converter: MjrConverter;
  logger: Logger;
  webhooks?: Pick<WebhookDispatcher, 'enqueue'> | undefined;
  /** How often the folder is searched for finished Janus recordings. Default 2 s. */
  scanIntervalMs?: number | undefined;
  /** Conversions at once. Default 1 (janus-pp-rec is quick; compositions need the cores). */
  concurrency?: number | undefined;
  /** Attempts before a recording is marked failed (its raw file is kept). Default 3. */
  maxAttempts?: number | undefined;
  /** Wait before the n-th retry: n times this. Default 5 s. */
  retryDelayMs?: number | undefined;
  onListenerError?: (error: unknown, event: string) => void;
}

export interface RecordingServiceEvents {
  /** A recording was converted, stored and announced. */
  saved: [RoomRecording];
  /** A recording could not be converted after every attempt. */
  failed: [RoomRecording];
}

/** The not-yet-ready media a request named. */
export class MediaNotReadyError extends PalaverError {
  constructor(message: string) {
    super(ErrorCode.MediaNotReady, message);
  }
}

// `<participant>_<stream key>_<ms>` as chosen by fileFor, then Janus's suffix: `-<kind>-<mindex>`
// (VideoRoom) or `-audio` (AudioBridge).
const SOURCE_NAME =
  /^([0-9a-f-]{36})_([A-Za-z0-9-]{1,64})_(\d+)-(audio|video|data)(?:-\d+)?\.mjr$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** An AudioBridge handle that never sent media leaves a file with only the 8-byte magic. */
const EMPTY_MJR_BYTES = 8;

/**
 * Per-participant track recordings. Janus writes each published stream (and each phone leg) to
 * `recordings/<room>/<session>/raw/` with a name chosen here; a file is renamed from `.mjr.tmp`
 * to `.mjr` when Janus closes it, which is what the periodic scan looks for. Each finished file
 * becomes a `room_recordings` row (`processing`), is converted with janus-pp-rec into the
 * session folder, checked with ffprobe, and only then marked `completed`, announced by webhook
 * and its raw file deleted. Rows and raw files survive restarts, so an interrupted job resumes.
 */
export class RecordingService extends SafeEventEmitter<RecordingServiceEvents> {
  readonly root: string;
  readonly #store: Store;
  readonly #repository: RecordingRepository;
  readonly #converter: MjrConverter;
  readonly #logger: Logger;
  readonly #webhooks: Pick<WebhookDispatcher, 'enqueue'> | undefined;
  readonly #scanIntervalMs: number;
  readonly #maxAttempts: number;
  readonly #retryDelayMs: number;
  readonly #limit: ReturnType<typeof pLimit>;
  /** Source paths (relative) being processed now. */
  readonly #inProgress = new Set<string>();
  /** Source paths that failed for good in this process: not retried until a restart. */
  readonly #givenUp = new Set<string>();
  /** Failed attempts at sources that have no row yet. */
  readonly #unrecordedAttempts = new Map<string, number>();
  /** Earliest time a failed source is tried again. */
  readonly #retryAt = new Map<string, number>();
  readonly #jobs = new Set<Promise<void>>();
  /** Stops running conversions at close; they resume from the raw file at the next start. */
  readonly #abort = new AbortController();
  /** `<room>/<session>` folders that have a `raw/` folder: the only ones scans look into. */
  readonly #rawDirs = new Set<string>();
  #fullScanDone = false;
  #timer: NodeJS.Timeout | undefined;
  #scanning: Promise<void> | undefined;
  #closed = false;

  constructor(options: RecordingServiceOptions) {
    super(options.onListenerError);
    this.root = options.root;
    this.#store = options.store;
    this.#repository = new RecordingRepository(options.store.db);
    this.#converter = options.converter;
    this.#logger = options.logger;
    this.#webhooks = options.webhooks;
    this.#scanIntervalMs = options.scanIntervalMs ?? 2000;
    this.#maxAttempts = options.maxAttempts ?? 3;
    this.#retryDelayMs = options.retryDelayMs ?? 5000;
    this.#limit = pLimit(Math.max(1, options.concurrency ?? 1));
  }

  /** Starts the periodic scan; files left from before a restart are picked up at once. */
  start(): void {
    if (this.#closed || this.#timer !== undefined) {
      return;
    }
    this.#timer = setInterval(() => void this.scan(), this.#scanIntervalMs);
    this.#timer.unref();
    void this.scan();
  }

  /**
   * Where Janus should record a participant's stream: an absolute path without extension, or
   * undefined when the room does not record (or the participant is unknown).
   */
  async fileFor(
    roomId: string,
    participantId: string,
    streamKey: string,
  ): Promise<string | undefined> {
    if (this.#closed || !UUID.test(roomId) || !UUID.test(participantId)) {
      return undefined;
    }
    const room = await this.#store.rooms.find(roomId);
    if (room?.enableRecording !== true) {
      return undefined;
    }
    const participant = await this.#store.participants.find(participantId);
    if (participant === undefined) {
      this.#logger.warn({ roomId, participantId }, 'recording: unknown participant, not recorded');
      return undefined;
    }
    const folder = join(this.root, roomId, participant.sessionId, 'raw');
    await mkdir(folder, { recursive: true });
    this.#rawDirs.add(join(roomId, participant.sessionId));
    const key = streamKey.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 64) || 'stream';
    return join(folder, `${participantId}_${key}_${Date.now()}`);
  }

  /** Looks for finished Janus recordings and processes them. Concurrent calls share one scan. */
  scan(): Promise<void> {
    if (this.#closed) {
      return Promise.resolve();
    }
    this.#scanning ??= this.#scanOnce()
      .catch((error: unknown) => this.#logger.error({ err: error }, 'recording scan failed'))
      .finally(() => {
        this.#scanning = undefined;
      });
    return this.#scanning;
  }

  /** Resolves when no scan or conversion is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#scanning !== undefined || this.#jobs.size > 0) {
      await Promise.allSettled([this.#scanning, ...this.#jobs]);
    }
  }

  find(id: string): Promise<RoomRecording | undefined> {
    return this.#repository.find(id);
  }

  list(filter: RecordingFilter, page: PageRequest): Promise<Page<RoomRecording>> {
    return this.#repository.list(filter, page);
  }

  /** A session's completed recordings, oldest first. */
  async completedForSession(sessionId: string): Promise<RoomRecording[]> {
    const all = await this.#repository.listForSession(sessionId);
    return all.filter((r) => r.status === 'completed' && r.filePath !== null);
  }

  /** The converted file of a recording. */
  absolutePath(relativePath: string): string {
    return join(this.root, relativePath);
  }

  /** Deletes a recording and its files. */
  async delete(id: string): Promise<void> {
    const recording = await this.#repository.find(id);
    if (recording === undefined) {
      throw new NotFoundError('room_recording', id);
    }
    if (this.#inProgress.has(recording.sourcePath)) {
      throw new MediaNotReadyError(`room_recording ${id} is being processed; try again shortly`);
    }
    await this.#removeFiles(recording);
    await this.#repository.delete(id);
    this.#logger.info({ recordingId: id, roomId: recording.roomId }, 'recording deleted');
  }

  /** Deletes every recording that matches; returns how many. Ones being processed are kept. */
  async deleteMany(filter: RecordingFilter): Promise<number> {
    let deleted = 0;
    const skipped = new Set<string>();
    for (;;) {
      const batch = (await this.#repository.listAll(filter, 500)).filter((r) => !skipped.has(r.id));
      if (batch.length === 0) {
        return deleted;
      }
      for (const recording of batch) {
        if (this.#inProgress.has(recording.sourcePath)) {
          skipped.add(recording.id);
          continue;
        }
        await this.#removeFiles(recording);
        if (await this.#repository.delete(recording.id)) {
          deleted += 1;
        }
      }
    }
  }

  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    clearInterval(this.#timer);
    this.#limit.clearQueue();
    this.#abort.abort();
    await Promise.allSettled([this.#scanning, ...this.#jobs]);
  }

  // -------------------------------------------------------------------------------------------

  async #scanOnce(): Promise<void> {
    if (!this.#fullScanDone) {
      // Once per start: raw folders left from before (a restart mid-call or mid-job).
      for (const roomId of await listDirs(this.root)) {
        for (const sessionId of await listDirs(join(this.root, roomId))) {
          if (existsSync(join(this.root, roomId, sessionId, 'raw'))) {
            this.#rawDirs.add(join(roomId, sessionId));
          }
        }
      }
      this.#fullScanDone = true;
    }
    for (const folder of [...this.#rawDirs]) {
      const [roomId = '', sessionId = ''] = folder.split(sep);
      const rawDir = join(this.root, folder, 'raw');
      const names = await readdir(rawDir).catch(() => undefined);
      if (names === undefined) {
        this.#rawDirs.delete(folder);
        continue;
      }
      if (names.length === 0) {
        await this.#removeRawDirIfDone(rawDir, sessionId);
        continue;
      }
      for (const name of names) {
        // Janus names open files `.mjr.tmp`: only closed ones are ready.
        if (name.endsWith('.mjr')) {
          this.#enqueue(join(rawDir, name), roomId, sessionId);
        }
      }
    }
  }

  #enqueue(source: string, roomId: string, sessionId: string): void {
    const relativeSource = relative(this.root, source);
    if (
      this.#closed ||
      this.#inProgress.has(relativeSource) ||
      this.#givenUp.has(relativeSource) ||
      (this.#retryAt.get(relativeSource) ?? 0) > Date.now()
    ) {
      return;
    }
    this.#inProgress.add(relativeSource);
    const job = this.#limit(() => this.#process(source, relativeSource, roomId, sessionId))
      .catch((error: unknown) =>
        this.#logger.error({ err: error, source: relativeSource }, 'recording job failed'),
      )
      .finally(() => {
        this.#inProgress.delete(relativeSource);
        this.#jobs.delete(job);
      });
    this.#jobs.add(job);
  }

  async #process(
    source: string,
    relativeSource: string,
    roomId: string,
    sessionId: string,
  ): Promise<void> {
    if (this.#closed) {
      return;
    }
    const existing = await this.#repository.findBySource(relativeSource);
    if (existing?.status === 'completed') {
      // Converted and stored before a restart cut the clean-up short.
      await unlink(source).catch(() => undefined);
      return;
    }
    const match = SOURCE_NAME.exec(basename(source));
    const size = (await stat(source)).size;
    if (match === null || size <= EMPTY_MJR_BYTES) {
      if (match === null) {
        this.#logger.warn({ source: relativeSource }, 'recording: unexpected file name, ignored');
        this.#givenUp.add(relativeSource);
      } else {
        await unlink(source);
      }
      return;
    }
    const [, participantId = '', streamKey = '', , kind = ''] = match;
    if (kind === 'data') {
      await unlink(source);
      return;
    }
    let recording = existing;
    try {
      const header = await this.#converter.header(source, this.#abort.signal);
      if (header.firstPacketUs === undefined) {
        // Janus opened the file but no media ever came: nothing to keep.
        await unlink(source);
        return;
      }
      const extension = MjrConverter.extensionFor(header.codec);
      if (extension === undefined) {
        throw new InvalidStateError(`recordings of codec ${header.codec} are not supported`);
      }
      const now = new Date().toISOString();
      const startedAt = new Date(Math.round(header.firstPacketUs / 1000)).toISOString();
      if (recording === undefined) {
        const id = randomUUID();
        await this.#repository.insert({
          id,
          room_id: roomId,
          session_id: sessionId,
          participant_id: participantId,
          stream_key: streamKey,
          type: header.kind === 'v' ? 'video' : 'audio',
          codec: header.codec,
          status: 'processing',
          source_path: relativeSource,
          file_path: null,
          duration_ms: null,
          size_bytes: null,
          attempts: 0,
          error: null,
          started_at: startedAt,
          ended_at: null,
          completed_at: null,
          created_at: now,
          updated_at: now,
        });
        recording = await this.#repository.find(id);
        if (recording === undefined) {
          return;
        }
      }
      const sessionDir = dirname(dirname(source));
      const name = `${participantId}_${streamKey}_${recording.type}_${recording.id.slice(0, 8)}`;
      const target = join(sessionDir, `${name}.${extension}`);
      // The extension picks janus-pp-rec's container, so the temporary name keeps it.
      const partial = join(sessionDir, `.${name}.partial.${extension}`);
      await rm(partial, { force: true });
      await this.#converter.convert(source, partial, this.#abort.signal);
      const probe = await this.#converter.probe(partial, this.#abort.signal);
      if (probe.durationMs <= 0 || probe.codecs.length === 0) {
        throw new InvalidStateError(`the converted ${recording.type} recording is empty`);
      }
      await rename(partial, target);
      const bytes = (await stat(target)).size;
      const completedAt = new Date().toISOString();
      const endedAt = new Date(Date.parse(startedAt) + probe.durationMs).toISOString();
      await this.#repository.update(recording.id, {
        status: 'completed',
        file_path: relative(this.root, target),
        duration_ms: probe.durationMs,
        size_bytes: bytes,
        attempts: recording.attempts + 1,
        error: null,
        ended_at: endedAt,
        completed_at: completedAt,
        updated_at: completedAt,
      });
      // Only now, with the converted file verified and recorded, is the raw file expendable.
      await unlink(source);
      this.#retryAt.delete(relativeSource);
      if ((await readdir(dirname(source))).length === 0) {
        await this.#removeRawDirIfDone(dirname(source), sessionId);
      }
      const saved = (await this.#repository.find(recording.id))!;
      this.#logger.info(
        {
          recordingId: saved.id,
          roomId,
          sessionId,
          participantId,
          type: saved.type,
          durationMs: saved.durationMs,
        },
        'recording saved',
      );
      await this.#announce(saved);
      this.safeEmit('saved', saved);
    } catch (error) {
      if (this.#closed) {
        this.#logger.info({ source: relativeSource }, 'recording conversion interrupted');
        return;
      }
      await this.#failed(recording, relativeSource, error);
    }
  }

  async #failed(
    recording: RoomRecording | undefined,
    relativeSource: string,
    error: unknown,
  ): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    // A file that fails before it has a row (an unreadable header) is counted here instead.
    const attempts = (recording?.attempts ?? this.#unrecordedAttempts.get(relativeSource) ?? 0) + 1;
    if (recording === undefined) {
      this.#unrecordedAttempts.set(relativeSource, attempts);
    }
    const finalAttempt = attempts >= this.#maxAttempts;
    this.#logger.error(
      { err: error, source: relativeSource, attempts, finalAttempt },
      'recording conversion failed',
    );
    if (finalAttempt) {
      this.#givenUp.add(relativeSource);
    } else {
      this.#retryAt.set(relativeSource, Date.now() + this.#retryDelayMs * attempts);
    }
    if (recording === undefined) {
      return;
    }
    const now = new Date().toISOString();
    await this.#repository.update(recording.id, {
      status: finalAttempt ? 'failed' : 'processing',
      attempts,
      error: message.slice(0, 1000),
      updated_at: now,
    });
    if (finalAttempt) {
      const failed = await this.#repository.find(recording.id);
      if (failed !== undefined) {
        this.safeEmit('failed', failed);
      }
    }
  }

  async #announce(recording: RoomRecording): Promise<void> {
    if (this.#webhooks === undefined) {
      return;
    }
    try {
      await this.#webhooks.enqueue(
        'video.room.recording.saved',
        {
          room_id: recording.roomId,
          session_id: recording.sessionId,
          participant_id: recording.participantId,
          recording_id: recording.id,
          type: recording.type,
          codec: recording.codec,
          duration_secs: Math.round((recording.durationMs ?? 0) / 1000),
          size_mb: sizeMb(recording.sizeBytes),
          started_at: recording.startedAt,
          ended_at: recording.endedAt ?? recording.startedAt,
        },
        { occurredAt: recording.completedAt ?? undefined },
      );
    } catch (error) {
      this.#logger.error({ err: error, recordingId: recording.id }, 'recording webhook not stored');
    }
  }

  async #removeFiles(recording: RoomRecording): Promise<void> {
    if (recording.filePath !== null) {
      await rm(this.absolutePath(recording.filePath), { force: true });
    }
    if (recording.status !== 'completed') {
      await rm(this.absolutePath(recording.sourcePath), { force: true });
    }
  }

  async #removeRawDirIfDone(rawDir: string, sessionId: string): Promise<void> {
    const session = await this.#store.sessions.find(sessionId);
    if (session !== undefined && !session.active) {
      await rmdir(rawDir).catch(() => undefined);
    }
  }
}

/** Megabytes with two decimals, as Telnyx reports `size_mb`. */
export function sizeMb(bytes: number | null): number {
  return bytes === null ? 0 : Math.round((bytes / 1_048_576) * 100) / 100;
}

async function listDirs(path: string): Promise<string[]> {
  const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && UUID.test(e.name)).map((e) => e.name);
}
