import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { SafeEventEmitter } from '../SafeEventEmitter.js';
import type { DueCallWebhook } from '../store/CallWebhookOutboxRepository.js';
import { CallWebhookOutboxRepository } from '../store/CallWebhookOutboxRepository.js';
import { SipWebhookRepository } from '../store/SipWebhookRepository.js';
import type { Store } from '../store/Store.js';
import type {
  CallWebhookEvent,
  CallWebhookNotifier,
  NotifyOptions,
} from './CallWebhookNotifier.js';
import { CALL_EVENT_ORDER, callWebhookBody } from './CallWebhookNotifier.js';
import type { CallWebhookSigningKey } from './CallWebhookSigningKey.js';
import { VIDEOSDK_SIGNATURE_HEADER } from './CallWebhookSigningKey.js';

export const CALL_WEBHOOK_USER_AGENT = 'Palaver-Call-Webhooks/1.0';

export interface OutboxCallWebhookNotifierOptions {
  store: Store;
  signingKey: CallWebhookSigningKey;
  logger?: Logger | undefined;
  /** How often the outbox is read for work this process was not told about. Default: 1000 ms. */
  pollIntervalMs?: number;
  /** Deliveries in flight at once. Default: 8. */
  concurrency?: number;
  /** Delay before retry `attempt` (1 after the first failure). Default: 1 s doubling to 10 min. */
  backoff?: (attempt: number) => number;
  /** Stop retrying this long after the event. Default: 24 h. */
  giveUpAfterMs?: number;
  /** Per attempt. Default: 10 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

export interface CallWebhookOutcome {
  eventId: string;
  webhookId: string;
  callId: string;
  eventType: string;
  attempt: number;
  url: string | null;
  error?: string;
}

export interface OutboxCallWebhookNotifierEvents {
  delivered: [CallWebhookOutcome];
  /** An attempt failed and will be retried. */
  failed: [CallWebhookOutcome];
  /** The delivery will not be tried again. */
  gaveUp: [CallWebhookOutcome];
}

/** 1 s, 2 s, 4 s, … at most 10 min, each shortened by up to 20 % at random. */
export function defaultCallWebhookBackoff(attempt: number): number {
  const base = Math.min(1000 * 2 ** (Math.max(attempt, 1) - 1), 10 * 60 * 1000);
  return Math.round(base * (1 - 0.2 * Math.random()));
}

/**
 * Delivers call webhooks from an outbox table: `enqueue` writes one row per matching
 * subscription; a worker leases due rows (so nodes sharing a database never send one twice),
 * POSTs them signed with `videosdk-signature`, and retries failures with backoff. A call's
 * events reach each subscription in order.
 */
export class OutboxCallWebhookNotifier
  extends SafeEventEmitter<OutboxCallWebhookNotifierEvents>
  implements CallWebhookNotifier
{
  readonly #store: Store;
  readonly #signingKey: CallWebhookSigningKey;
  readonly #logger: Logger | undefined;
  readonly #pollIntervalMs: number;
  readonly #concurrency: number;
  readonly #backoff: (attempt: number) => number;
  readonly #giveUpAfterMs: number;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
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

  constructor(options: OutboxCallWebhookNotifierOptions) {
    super((error, event) =>
      options.logger?.error({ err: error, event }, 'call webhook listener failed'),
    );
    this.#store = options.store;
    this.#signingKey = options.signingKey;
    this.#logger = options.logger;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#concurrency = Math.max(1, options.concurrency ?? 8);
    this.#backoff = options.backoff ?? defaultCallWebhookBackoff;
    this.#giveUpAfterMs = options.giveUpAfterMs ?? 24 * 60 * 60 * 1000;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#fetch = options.fetch ?? fetch;
    this.#now = options.now ?? Date.now;
  }

  /** Writes the event's deliveries; after `close()` they wait for the next start. */
  async enqueue(event: CallWebhookEvent, options: NotifyOptions = {}): Promise<void> {
    const db = options.db ?? this.#store.db;
    const subscriptions = (await new SipWebhookRepository(db).all(db)).filter((w) =>
      (w.events as string[]).includes(event.type),
    );
    if (subscriptions.length === 0) {
      return;
    }
    const body = callWebhookBody(event);
    const now = this.#iso();
    await new CallWebhookOutboxRepository(db).insert(
      subscriptions.map((subscription) => ({
        id: randomUUID(),
        event_id: event.id,
        webhook_id: subscription.id,
        call_id: event.call.id,
        event_type: event.type,
        event_order: CALL_EVENT_ORDER[event.type],
        body,
        status: 'pending',
        attempts: 0,
        next_attempt_at: now,
        lease_owner: null,
        lease_until: now,
        last_error: null,
        delivered_at: null,
        created_at: now,
        updated_at: now,
      })),
      db,
    );
    if (options.db === undefined) {
      this.wake();
    }
  }

  /** Starts the worker; deliveries left from before a restart go out first. */
  start(): void {
    if (this.#closed || this.#started) {
      return;
    }
    this.#started = true;
    this.#pollTimer = setInterval(() => this.wake(), this.#pollIntervalMs);
    this.#pollTimer.unref();
    this.wake();
  }

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

  /** Stops the worker; deliveries in flight are aborted and stay pending. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      clearInterval(this.#pollTimer);
      clearTimeout(this.#retryTimer);
      this.#abort.abort();
      while (this.#pumping !== undefined || this.#inFlight.size > 0) {
        await Promise.allSettled([this.#pumping, ...this.#inFlight]);
      }
      this.removeAllListeners();
    })();
    return this.#closing;
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
        this.#logger?.warn({ err: error }, 'call webhook outbox not readable');
      }
    }
  }

  async #claimDue(): Promise<void> {
    const outbox = new CallWebhookOutboxRepository(this.#store.db);
    for (;;) {
      const free = this.#concurrency - this.#inFlight.size;
      if (free <= 0 || this.#closed) {
        return;
      }
      const nowMs = this.#now();
      const now = new Date(nowMs).toISOString();
      // In flight rows are leased, so they are not listed again.
      const due = await outbox.listDue(now, free);
      let started = 0;
      for (const delivery of due) {
        const leaseUntil = new Date(nowMs + this.#timeoutMs + 30_000).toISOString();
        if (!this.#closed && (await outbox.claim(delivery.id, this.#owner, now, leaseUntil))) {
          started++;
          this.#track(this.#deliver(delivery));
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
        // Recording the outcome failed; the lease runs out and the delivery is tried again.
        this.#logger?.error({ err: error }, 'call webhook bookkeeping failed');
      })
      .finally(() => {
        this.#inFlight.delete(tracked);
        this.wake();
      });
    this.#inFlight.add(tracked);
  }

  async #deliver(delivery: DueCallWebhook): Promise<void> {
    const outbox = new CallWebhookOutboxRepository(this.#store.db);
    const attempt = delivery.attempts + 1;
    const outcome: CallWebhookOutcome = {
      eventId: delivery.event_id,
      webhookId: delivery.webhook_id,
      callId: delivery.call_id,
      eventType: delivery.event_type,
      attempt,
      url: delivery.url,
    };
    if (delivery.url === null) {
      const error = 'the webhook subscription was deleted';
      await outbox.markGaveUp(delivery.id, delivery.attempts, this.#iso(), error);
      this.safeEmit('gaveUp', { ...outcome, error });
      return;
    }
    const error = await this.#post(delivery.url, delivery.body);
    const nowMs = this.#now();
    const now = new Date(nowMs).toISOString();
    if (error === undefined) {
      await outbox.markDelivered(delivery.id, attempt, now);
      this.safeEmit('delivered', outcome);
      return;
    }
    if (this.#abort.signal.aborted) {
      // Shutting down: not the receiver's fault, so no attempt is counted.
      await outbox.release(delivery.id, now);
      return;
    }
    if (nowMs - Date.parse(delivery.created_at) >= this.#giveUpAfterMs) {
      await outbox.markGaveUp(delivery.id, attempt, now, error);
      this.#logger?.warn({ ...outcome, error }, 'call webhook given up');
      this.safeEmit('gaveUp', { ...outcome, error });
      return;
    }
    const retryAt = nowMs + Math.max(0, this.#backoff(attempt));
    await outbox.markFailed(delivery.id, attempt, now, error, new Date(retryAt).toISOString());
    this.#logger?.info({ ...outcome, error }, 'call webhook attempt failed');
    this.#retryNoLaterThan(retryAt);
    this.safeEmit('failed', { ...outcome, error });
  }

  /** POSTs one signed body; returns why it failed, or undefined on a 2xx answer. */
  async #post(url: string, body: string): Promise<string | undefined> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    try {
      const response = await this.#fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': CALL_WEBHOOK_USER_AGENT,
          [VIDEOSDK_SIGNATURE_HEADER]: this.#signingKey.sign(body),
        },
        body,
        // A redirect would turn the POST into a GET elsewhere; a 3xx counts as a failure.
        redirect: 'manual',
        signal: AbortSignal.any([timeout, this.#abort.signal]),
      });
      await response.body?.cancel().catch(() => undefined);
      return response.status >= 200 && response.status < 300
        ? undefined
        : `HTTP ${response.status}`;
    } catch (error) {
      if (timeout.aborted) {
        return `no answer within ${this.#timeoutMs} ms`;
      }
      const cause = error instanceof Error ? error.cause : undefined;
      const code = cause instanceof Error ? (cause as Error & { code?: unknown }).code : undefined;
      return typeof code === 'string' ? code : error instanceof Error ? error.message : 'failed';
    }
  }

  async #scheduleNextRetry(): Promise<void> {
    const earliest = await new CallWebhookOutboxRepository(this.#store.db).earliestPendingAfter(
      this.#iso(),
    );
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
    const before = new Date(nowMs - 7 * 24 * 60 * 60 * 1000).toISOString();
    await new CallWebhookOutboxRepository(this.#store.db).deleteFinishedBefore(before);
  }

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }
}
