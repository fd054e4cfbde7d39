import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { InvalidStateError, NotFoundError, ValidationError } from '../errors.js';
import { SafeEventEmitter } from '../SafeEventEmitter.js';
import type { Database } from '../store/schema.js';
import type { Store } from '../store/Store.js';
import type { DueWebhookEvent } from '../store/WebhookRepository.js';
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
  /** Deliveries in flight at once, each to a different room. Default: 16. */
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
 * claims due events with a lease (so several nodes sharing a database never send one twice),
 * POSTs them signed, and retries with backoff. Events of a room go out in sequence order: one is
 * sent only after every earlier event of its room was delivered or given up.
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
      if (!hasUrl(target.webhook_event_url)) {
        return undefined;
      }
      const id = randomUUID();
      const sequence = await repository.nextSequence(roomId);
      await repository.insertEvent({
        id,
        room_id: roomId,
        sequence,
        event_type: type,
        occurred_at: occurredAt,
        body: webhookBody(type, id, occurredAt, payload, sequence),
        created_at: new Date(this.#now()).toISOString(),
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
      const due = await repository.listDue(now, free);
      let started = 0;
      for (const event of due) {
        if (this.#closed) {
          return;
        }
        const leaseUntil = new Date(nowMs + this.#leaseMs(event)).toISOString();
        if (await repository.claim(event, this.nodeId, now, leaseUntil)) {
          started++;
          this.#track(this.#deliver(event));
        }
      }
      if (started === 0 || due.length < free) {
        return;
      }
    }
  }

  #track(delivery: Promise<void>): void {
    const tracked: Promise<void> = delivery
      .catch((error: unknown) => {
        // Recording the outcome failed; the lease expires and the event is tried again.
        this.#logger?.error({ err: error }, 'webhook delivery bookkeeping failed');
      })
      .finally(() => {
        this.#inFlight.delete(tracked);
        this.wake();
      });
    this.#inFlight.add(tracked);
  }

  async #deliver(event: DueWebhookEvent): Promise<void> {
    const attempt = event.attempts + 1;
    const base = {
      id: event.id,
      roomId: event.room_id,
      sequence: event.sequence,
      eventType: event.event_type,
      attempt,
    };
    const repository = () => new WebhookRepository(this.#store.db);
    const primary = event.webhook_event_url?.trim() ?? '';
    if (primary === '') {
      const error = 'the room no longer has a webhook_event_url';
      await repository().markGaveUp(event.id, event.attempts, this.#nowIso(), error);
      this.safeEmit('gaveUp', { ...base, error });
      return;
    }
    const timeoutMs = this.#timeoutMs(event);
    const results: SendResult[] = [];
    let result = await this.#sender.send(primary, event.body, timeoutMs, this.#abort.signal);
    results.push(result);
    // Failover rule: the failover URL gets the same event right after the primary failed, within
    // the same attempt; the next attempt starts at the primary again.
    const failover = event.webhook_event_failover_url.trim();
    if (!result.ok && result.error.kind !== 'aborted' && failover !== '') {
      result = await this.#sender.send(failover, event.body, timeoutMs, this.#abort.signal);
      results.push(result);
    }
    const nowMs = this.#now();
    const now = new Date(nowMs).toISOString();
    if (result.ok) {
      await repository().markDelivered(event.id, attempt, now, result.url);
      this.safeEmit('delivered', {
        ...base,
        url: result.url,
        status: result.status,
        failover: results.length > 1,
        latencyMs: nowMs - Date.parse(event.created_at),
      });
      return;
    }
    if (results.some((r) => !r.ok && r.error.kind === 'aborted')) {
      // Stopping: not the receiver's fault, so no attempt is counted.
      await repository().releaseLease(event.id, this.nodeId, now);
      return;
    }
    const error = results
      .map((r, i) => `${i === 0 ? 'primary' : 'failover'}: ${r.ok ? 'ok' : r.error.message}`)
      .join('; ');
    if (nowMs - Date.parse(event.created_at) >= this.#giveUpAfterMs) {
      await repository().markGaveUp(event.id, attempt, now, error);
      this.#logger?.warn({ ...base, error }, 'webhook given up');
      this.safeEmit('gaveUp', { ...base, error });
      return;
    }
    const retryAtMs = nowMs + Math.max(0, this.#backoff(attempt));
    const nextAttemptAt = new Date(retryAtMs).toISOString();
    await repository().markFailed(event.id, attempt, now, error, nextAttemptAt);
    this.#logger?.info({ ...base, error, nextAttemptAt }, 'webhook attempt failed');
    this.#retryNoLaterThan(retryAtMs);
    this.safeEmit('failed', { ...base, error, nextAttemptAt });
  }

  /** Arms the timer for the earliest future retry this process knows about. */
  async #scheduleNextRetry(): Promise<void> {
    const earliest = await new WebhookRepository(this.#store.db)
      .earliestPendingAttemptAfter(this.#nowIso())
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

  #timeoutMs(event: DueWebhookEvent): number {
    const secs = event.webhook_timeout_secs;
    return secs === null || secs <= 0 ? this.#defaultTimeoutMs : secs * 1000;
  }

  /** Longer than the attempt can take, so no other node takes the event while it is sent. */
  #leaseMs(event: DueWebhookEvent): number {
    const urls = hasUrl(event.webhook_event_failover_url) ? 2 : 1;
    return urls * this.#timeoutMs(event) + this.#leaseMarginMs;
  }

  #nowIso(): string {
    return new Date(this.#now()).toISOString();
  }
}

function hasUrl(url: string | null): url is string {
  return url !== null && url.trim() !== '';
}
