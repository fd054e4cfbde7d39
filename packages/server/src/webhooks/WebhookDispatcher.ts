import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { InvalidStateError, NotFoundError, ValidationError } from '../errors.js';
import { SafeEventEmitter } from '../SafeEventEmitter.js';
import type { Database } from '../store/schema.js';
import type { Store } from '../store/Store.js';
import type { WebhookEventRow, WebhookTarget } from '../store/WebhookRepository.js';
import { WebhookRepository } from '../store/WebhookRepository.js';
import type { Backoff } from './backoff.js';
import { exponentialBackoff } from './backoff.js';
import type { WebhookEventType, WebhookPayloads } from './events.js';
import { isWebhookEventType, webhookBody } from './events.js';
import type { SendResult } from './WebhookSender.js';
import { WebhookSender } from './WebhookSender.js';
import type { WebhookSigningKey } from './WebhookSigningKey.js';

/** Used when a room's `webhook_timeout_secs` is null (or 0). */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
/** Events a dispatcher sends from one room before it lets the room go for others' turn. */
const ROOM_BATCH = 100;
/** Retrying stops this long after the event was enqueued. */
export const DEFAULT_GIVE_UP_AFTER_MS = 24 * 60 * 60 * 1000;

export interface WebhookDispatcherOptions {
  store: Store;
  signingKey: WebhookSigningKey;
  logger?: Logger | undefined;
  /** Names this dispatcher in leases. Default: host, pid and a random suffix. */
  nodeId?: string;
  /**
   * How often the outbox is read for work this process was not told about (events enqueued by
   * other nodes, expired leases). Default: 1000 ms.
   */
  pollIntervalMs?: number;
  /** Rooms served at once (each sends one event at a time). Default: 16. */
  concurrency?: number;
  /** Delay before each retry. Default: exponential from 1 s, doubling, at most 10 min. */
  backoff?: Backoff;
  /** Give up on an event this long after it was enqueued. Default: 24 h. */
  giveUpAfterMs?: number;
  /** Timeout for rooms without `webhook_timeout_secs`. Default: 10 s. */
  defaultTimeoutMs?: number;
  /** A lease lasts the attempt's timeouts plus this much. Default: 30 s. */
  leaseMarginMs?: number;
  /** How long `close()` waits for deliveries in flight before aborting them. Default: 10 s. */
  closeTimeoutMs?: number;
  /** Delivered and abandoned events are deleted after this long. Default: 7 days. */
  retentionMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

export interface EnqueueOptions {
  /** When the event happened. Default: now. */
  occurredAt?: string;
  /**
   * The transaction the event belongs to: the event is stored only if it commits. Call `wake()`
   * after the commit for immediate delivery; otherwise the next poll finds it.
   */
  db?: Kysely<Database>;
  /**
   * Where this event goes instead of the room's `webhook_event_url` (a composition's own URL).
   * The event still takes its place in the room's order.
   */
  target?: EventTarget | undefined;
}

/** A receiver of one event, overriding the room's webhook settings. */
export interface EventTarget {
  url: string;
  failoverUrl?: string | null | undefined;
  timeoutSecs?: number | null | undefined;
}

/** An event written to the outbox. */
export interface EnqueuedWebhook {
  id: string;
  roomId: string;
  sequence: number;
  eventType: WebhookEventType;
  occurredAt: string;
}

interface WebhookOutcomeBase {
  id: string;
  roomId: string;
  sequence: number;
  eventType: string;
  /** 1 for the first attempt. */
  attempt: number;
}

export interface WebhookDelivered extends WebhookOutcomeBase {
  url: string;
  status: number;
  /** True when the primary URL failed and the failover URL took it. */
  failover: boolean;
  /** From enqueue to the receiver's 2xx, in milliseconds. */
  latencyMs: number;
}

export interface WebhookAttemptFailed extends WebhookOutcomeBase {
  error: string;
  /** When the next attempt is due; absent when the dispatcher gave up. */
  nextAttemptAt?: string;
}

export interface WebhookDispatcherEvents {
  delivered: [WebhookDelivered];
  /** An attempt failed (on the primary and, if set, the failover URL) and will be retried. */
  failed: [WebhookAttemptFailed];
  /** The event will not be sent again. */
  gaveUp: [WebhookAttemptFailed];
}

/**
 * Delivers room webhooks from a durable outbox in the store. `enqueue` writes an event; a worker
 * leases rooms with due events (so several nodes sharing a database never send one event twice),
 * POSTs each room's events signed and in sequence order, one only after the one before it was
 * delivered or given up, and retries a failing room with backoff.
 */
export class WebhookDispatcher extends SafeEventEmitter<WebhookDispatcherEvents> {
  readonly nodeId: string;
  readonly #store: Store;
  readonly #sender: WebhookSender;
  readonly #logger: Logger | undefined;
  readonly #pollIntervalMs: number;
  readonly #concurrency: number;
  readonly #backoff: Backoff;
  readonly #giveUpAfterMs: number;
  readonly #defaultTimeoutMs: number;
  readonly #leaseMarginMs: number;
  readonly #closeTimeoutMs: number;
  readonly #retentionMs: number;
  readonly #now: () => number;
  readonly #abort = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();
  #started = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  #pumping: Promise<void> | undefined;
  #wanted = false;
  #pollTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryAt: number | undefined;
  #lastPruneAt = 0;

  constructor(options: WebhookDispatcherOptions) {
    super((error, event) =>
      options.logger?.error({ err: error, event }, 'webhook event listener failed'),
    );
    this.#store = options.store;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#sender = new WebhookSender({
      signingKey: options.signingKey,
      now: this.#now,
      ...(options.fetch !== undefined && { fetch: options.fetch }),
    });
    this.nodeId =
      options.nodeId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#concurrency = Math.max(1, options.concurrency ?? 16);
    this.#backoff = options.backoff ?? exponentialBackoff();
    this.#giveUpAfterMs = options.giveUpAfterMs ?? DEFAULT_GIVE_UP_AFTER_MS;
    this.#defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
    this.#leaseMarginMs = options.leaseMarginMs ?? 30_000;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
    this.#retentionMs = options.retentionMs ?? 7 * 24 * 60 * 60 * 1000;
  }

  /**
   * Writes an event to the outbox of its room (`payload.room_id`). Returns undefined, storing
   * nothing, when the room has no `webhook_event_url`.
   */
  async enqueue<T extends WebhookEventType>(
    type: T,
    payload: WebhookPayloads[T],
    options: EnqueueOptions = {},
  ): Promise<EnqueuedWebhook | undefined> {
    if (this.#closed) {
      throw new InvalidStateError('webhook dispatcher closed');
    }
    if (!isWebhookEventType(type)) {
      throw new ValidationError(`unknown webhook event type "${String(type)}"`);
    }
    const roomId = payload.room_id;
    const occurredAt = options.occurredAt ?? new Date(this.#now()).toISOString();
    const write = async (db: Kysely<Database>): Promise<EnqueuedWebhook | undefined> => {
      const repository = new WebhookRepository(db);
      const target = await repository.findTarget(roomId);
      if (target === undefined) {
        throw new NotFoundError('room', roomId);
      }
      if (!hasUrl(options.target?.url ?? target.webhook_event_url)) {
        return undefined;
      }
      const id = randomUUID();
      const createdAt = new Date(this.#now()).toISOString();
      const sequence = await repository.nextSequence(roomId, createdAt);
      await repository.insertEvent({
        id,
        room_id: roomId,
        sequence,
        event_type: type,
        occurred_at: occurredAt,
        body: webhookBody(type, id, occurredAt, payload, sequence),
        created_at: createdAt,
        target: options.target === undefined ? null : JSON.stringify(options.target),
      });
      return { id, roomId, sequence, eventType: type, occurredAt };
    };
    const db = options.db ?? this.#store.db;
    const enqueued = db.isTransaction ? await write(db) : await db.transaction().execute(write);
    if (enqueued !== undefined) {
      this.wake();
    }
    return enqueued;
  }

  /** Starts the worker; events already in the outbox (from before a restart) go out first. */
  start(): void {
    if (this.#closed) {
      throw new InvalidStateError('webhook dispatcher closed');
    }
    if (this.#started) {
      return;
    }
    this.#started = true;
    this.#pollTimer = setInterval(() => this.wake(), this.#pollIntervalMs);
    this.#pollTimer.unref();
    this.wake();
  }

  /** Looks for due events now instead of at the next poll. */
  wake(): void {
    if (!this.#started || this.#closed) {
      return;
    }
    this.#wanted = true;
    this.#pumping ??= this.#pump().finally(() => {
      this.#pumping = undefined;
      if (this.#wanted) {
        this.wake();
      }
    });
  }

  /**
   * Stops the worker and waits (bounded by `closeTimeoutMs`) for deliveries in flight; those
   * still running then are aborted and stay pending for the next start. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#pollTimer);
    clearTimeout(this.#retryTimer);
    let deadline: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      deadline = setTimeout(() => resolve('timeout'), this.#closeTimeoutMs);
    });
    const outcome = await Promise.race([this.#settled(), timedOut]);
    clearTimeout(deadline);
    if (outcome === 'timeout') {
      this.#logger?.warn(
        { inFlight: this.#inFlight.size },
        'webhook deliveries still running at shutdown; aborting them',
      );
      this.#abort.abort();
      await this.#settled();
    }
    this.removeAllListeners();
  }

  async #settled(): Promise<'settled'> {
    while (this.#pumping !== undefined || this.#inFlight.size > 0) {
      await Promise.allSettled([this.#pumping, ...this.#inFlight]);
    }
    return 'settled';
  }

  async #pump(): Promise<void> {
    while (this.#wanted && !this.#closed) {
      this.#wanted = false;
      try {
        await this.#claimDue();
        await this.#scheduleNextRetry();
        await this.#prune();
      } catch (error) {
        // The store may be briefly unreachable; the poll timer tries again.
        this.#logger?.warn({ err: error }, 'webhook outbox not readable');
      }
    }
  }

  async #claimDue(): Promise<void> {
    for (;;) {
      const free = this.#concurrency - this.#inFlight.size;
      if (free <= 0 || this.#closed) {
        return;
      }
      const nowMs = this.#now();
      const now = new Date(nowMs).toISOString();
      const repository = new WebhookRepository(this.#store.db);
      const due = await repository.listDueRooms(now, free);
      let started = 0;
      for (const room of due) {
        if (this.#closed) {
          return;
        }
        const leaseUntil = new Date(nowMs + this.#leaseMs(room)).toISOString();
        if (await repository.claimRoom(room.room_id, this.nodeId, now, leaseUntil)) {
          started++;
          this.#track(this.#serveRoom(room.room_id));
        }
      }
      if (started === 0 || due.length < free) {
        return;
      }
    }
  }

  #track(work: Promise<void>): void {
    const tracked: Promise<void> = work
      .catch((error: unknown) => {
        // Recording an outcome failed; the room's lease expires and its event is tried again.
        this.#logger?.error({ err: error }, 'webhook delivery bookkeeping failed');
      })
      .finally(() => {
        this.#inFlight.delete(tracked);
        this.wake();
      });
    this.#inFlight.add(tracked);
  }

  async #serveRoom(roomId: string): Promise<void> {
    try {
      await this.#drainRoom(roomId);
    } catch (error) {
      // Hand the room back at once rather than when the lease runs out; if even that fails, the
      // lease expiring does it.
      await new WebhookRepository(this.#store.db)
        .releaseRoom(roomId, this.nodeId, this.#nowIso())
        .catch(() => undefined);
      throw error;
    }
  }

  /**
   * Sends a leased room's events one after another, each only after the one before it was
   * delivered or given up, until the room is empty, an attempt fails (the room then backs off)
   * or a batch is done (so other rooms and nodes get their turn).
   */
  async #drainRoom(roomId: string): Promise<void> {
    const repository = () => new WebhookRepository(this.#store.db);
    for (let sent = 0; ; sent++) {
      if (this.#closed || sent >= ROOM_BATCH) {
        await repository().releaseRoom(roomId, this.nodeId, this.#nowIso());
        return;
      }
      const event = await this.#nextEvent(roomId);
      if (event === 'empty') {
        return;
      }
      if (event === undefined) {
        continue;
      }
      // Rooms are never removed, only marked deleted; their events still go out.
      const target = (await repository().findTarget(roomId)) ?? NO_TARGET;
      // Re-checked before every send: if this node stalled past its lease and another took the
      // room, that node sends the event instead.
      const nowMs = this.#now();
      const leaseUntil = new Date(nowMs + this.#leaseMs(target)).toISOString();
      const stillOurs = await repository().renewLease(
        roomId,
        this.nodeId,
        new Date(nowMs).toISOString(),
        leaseUntil,
      );
      if (!stillOurs) {
        this.#logger?.warn({ roomId }, 'webhook room lease lost; another dispatcher has it');
        return;
      }
      if (!(await this.#deliver(event, target))) {
        return;
      }
    }
  }

  /**
   * The room's next event to send; `empty` when there is none and the lease was given back, or
   * undefined when an event was numbered meanwhile and is not visible yet (look again).
   */
  async #nextEvent(roomId: string): Promise<WebhookEventRow | 'empty' | undefined> {
    const repository = new WebhookRepository(this.#store.db);
    const head = await repository.headEvent(roomId);
    if (head !== undefined) {
      return head;
    }
    // Read the room's counter first, then look again: every event numbered up to it is
    // committed, so if none is pending the room is empty up to there.
    const queue = await repository.findQueue(roomId);
    const again = await repository.headEvent(roomId);
    if (again !== undefined) {
      return again;
    }
    if (queue === undefined) {
      return 'empty';
    }
    const released = await repository.releaseEmptyRoom(
      roomId,
      this.nodeId,
      this.#nowIso(),
      queue.last_sequence,
    );
    return released ? 'empty' : undefined;
  }

  /** One attempt at the event; true when the room may go on with its next event. */
  async #deliver(event: WebhookEventRow, roomTarget: WebhookTarget): Promise<boolean> {
    const target = eventTarget(event) ?? roomTarget;
    const attempt = event.attempts + 1;
    const base = {
      id: event.id,
      roomId: event.room_id,
      sequence: event.sequence,
      eventType: event.event_type,
      attempt,
    };
    const repository = new WebhookRepository(this.#store.db);
    const primary = target.webhook_event_url?.trim() ?? '';
    if (primary === '') {
      const error = 'the room has no webhook_event_url any more';
      await repository.markGaveUp(event, event.attempts, this.#nowIso(), error);
      this.safeEmit('gaveUp', { ...base, error });
      return true;
    }
    const timeoutMs = this.#timeoutMs(target);
    const results: SendResult[] = [];
    let result = await this.#sender.send(primary, event.body, timeoutMs, this.#abort.signal);
    results.push(result);
    // Failover rule: the failover URL gets the same event right after the primary failed, within
    // the same attempt; the next attempt starts at the primary again.
    const failover = target.webhook_event_failover_url.trim();
    if (!result.ok && result.error.kind !== 'aborted' && failover !== '') {
      result = await this.#sender.send(failover, event.body, timeoutMs, this.#abort.signal);
      results.push(result);
    }
    const nowMs = this.#now();
    const now = new Date(nowMs).toISOString();
    if (result.ok) {
      await repository.markDelivered(event, attempt, now, result.url);
      this.safeEmit('delivered', {
        ...base,
        url: result.url,
        status: result.status,
        failover: results.length > 1,
        latencyMs: nowMs - Date.parse(event.created_at),
      });
      return true;
    }
    if (results.some((r) => !r.ok && r.error.kind === 'aborted')) {
      // Stopping: not the receiver's fault, so no attempt is counted.
      await repository.releaseRoom(event.room_id, this.nodeId, now);
      return false;
    }
    const error = results
      .map((r, i) => `${i === 0 ? 'primary' : 'failover'}: ${r.ok ? 'ok' : r.error.message}`)
      .join('; ');
    if (nowMs - Date.parse(event.created_at) >= this.#giveUpAfterMs) {
      await repository.markGaveUp(event, attempt, now, error);
      this.#logger?.warn({ ...base, error }, 'webhook given up');
      this.safeEmit('gaveUp', { ...base, error });
      return true;
    }
    const retryAtMs = nowMs + Math.max(0, this.#backoff(attempt));
    const nextAttemptAt = new Date(retryAtMs).toISOString();
    await repository.markFailed(event, attempt, now, error, nextAttemptAt, this.nodeId);
    this.#logger?.info({ ...base, error, nextAttemptAt }, 'webhook attempt failed');
    this.#retryNoLaterThan(retryAtMs);
    this.safeEmit('failed', { ...base, error, nextAttemptAt });
    return false;
  }

  /** Arms the timer for the earliest future retry this process knows about. */
  async #scheduleNextRetry(): Promise<void> {
    const earliest = await new WebhookRepository(this.#store.db)
      .earliestRetryAfter(this.#nowIso())
      .catch(() => undefined);
    if (earliest !== undefined) {
      this.#retryNoLaterThan(Date.parse(earliest));
    }
  }

  #retryNoLaterThan(atMs: number): void {
    if (this.#closed || (this.#retryAt !== undefined && this.#retryAt <= atMs)) {
      return;
    }
    clearTimeout(this.#retryTimer);
    this.#retryAt = atMs;
    this.#retryTimer = setTimeout(
      () => {
        this.#retryAt = undefined;
        this.#retryTimer = undefined;
        this.wake();
      },
      Math.max(0, atMs - this.#now()),
    );
    this.#retryTimer.unref();
  }

  async #prune(): Promise<void> {
    const nowMs = this.#now();
    if (nowMs - this.#lastPruneAt < 60 * 60 * 1000) {
      return;
    }
    this.#lastPruneAt = nowMs;
    const before = new Date(nowMs - this.#retentionMs).toISOString();
    const deleted = await new WebhookRepository(this.#store.db).deleteFinishedBefore(before);
    if (deleted > 0) {
      this.#logger?.debug({ deleted }, 'old webhook events deleted');
    }
  }

  #timeoutMs(target: WebhookTarget): number {
    const secs = target.webhook_timeout_secs;
    return secs === null || secs <= 0 ? this.#defaultTimeoutMs : secs * 1000;
  }

  /** Longer than an attempt can take, so no other node takes the room while it is sending. */
  #leaseMs(target: WebhookTarget): number {
    const urls = hasUrl(target.webhook_event_failover_url) ? 2 : 1;
    return urls * this.#timeoutMs(target) + this.#leaseMarginMs;
  }

  #nowIso(): string {
    return new Date(this.#now()).toISOString();
  }
}

const NO_TARGET: WebhookTarget = {
  webhook_event_url: null,
  webhook_event_failover_url: '',
  webhook_timeout_secs: null,
};

function hasUrl(url: string | null): url is string {
  return url !== null && url.trim() !== '';
}

/** The event's own receiver, when it has one. */
function eventTarget(event: WebhookEventRow): WebhookTarget | undefined {
  if (event.target === null) {
    return undefined;
  }
  try {
    const parsed = JSON.parse(event.target) as EventTarget;
    return {
      webhook_event_url: parsed.url,
      webhook_event_failover_url: parsed.failoverUrl ?? '',
      webhook_timeout_secs: parsed.timeoutSecs ?? null,
    };
  } catch {
    return undefined;
  }
}
