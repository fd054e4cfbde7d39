import type { Logger } from 'pino';
import { InvalidStateError } from '../errors.js';
import type { RoomService } from '../rooms/RoomService.js';
import type { Store } from '../store/Store.js';
import { CallRouter } from './CallRouter.js';
import type { CallSeats } from './CallService.js';
import { CallService } from './CallService.js';
import type { CallWebhookNotifier } from './CallWebhookNotifier.js';
import { CallWebhookSigningKey } from './CallWebhookSigningKey.js';
import { ConnectorService } from './ConnectorService.js';
import type { OutboxCallWebhookNotifierOptions } from './OutboxCallWebhookNotifier.js';
import { OutboxCallWebhookNotifier } from './OutboxCallWebhookNotifier.js';
import { RegionTable } from './RegionTable.js';
import { RoutingRuleService } from './RoutingRuleService.js';
import { SipWebhookService } from './SipWebhookService.js';

export interface TelephonyOptions {
  store: Store;
  rooms: RoomService;
  logger: Logger;
  /** Region name → ingest base URL (`PALAVER_REGIONS`). */
  regions?: Readonly<Record<string, string>>;
  /** Calling code → region name (`PALAVER_REGION_COUNTRY_CODES`). */
  regionCountryCodes?: Readonly<Record<string, string>>;
  /** The public base URL, when configured; otherwise set once listening ({@link setPublicUrl}). */
  publicUrl?: string | undefined;
  /** Room seats calls take against `max_participants`; without it calls are not counted. */
  seats?: CallSeats | undefined;
  /** Stream claim lifetime (`PALAVER_CALL_CLAIM_TTL_SECS`). Default: 90. */
  claimTtlSecs?: number;
  staleAfterSecs?: number;
  reapIntervalMs?: number;
  /** Tuning of call webhook delivery (tests). */
  webhookDelivery?: Omit<OutboxCallWebhookNotifierOptions, 'store' | 'signingKey' | 'logger'>;
  now?: () => number;
}

/**
 * The telephone connector's domain, assembled: connectors, routing rules, calls, call-webhook
 * subscriptions and their signed delivery. The media bridge works with {@link calls}.
 */
export class Telephony {
  readonly connectors: ConnectorService;
  readonly rules: RoutingRuleService;
  readonly calls: CallService;
  readonly sipWebhooks: SipWebhookService;
  readonly regions: RegionTable;
  readonly signingKey: CallWebhookSigningKey;
  readonly notifier: CallWebhookNotifier;
  readonly #outbox: OutboxCallWebhookNotifier;
  #publicUrl: string | undefined;
  #closing: Promise<void> | undefined;

  private constructor(options: TelephonyOptions, signingKey: CallWebhookSigningKey) {
    const { store, logger } = options;
    const now = options.now;
    this.#publicUrl = options.publicUrl?.replace(/\/+$/, '');
    this.signingKey = signingKey;
    const publicUrl = () => this.publicUrl;
    this.regions = new RegionTable({
      regions: options.regions ?? {},
      countryCodes: options.regionCountryCodes ?? {},
      localIngestUrl: () => publicUrl().replace(/^http/, 'ws'),
    });
    this.#outbox = new OutboxCallWebhookNotifier({
      store,
      signingKey,
      logger,
      ...(now !== undefined && { now }),
      ...options.webhookDelivery,
    });
    this.notifier = this.#outbox;
    this.connectors = new ConnectorService({
      store,
      regions: this.regions,
      publicUrl,
      ...(now !== undefined && { now }),
    });
    this.rules = new RoutingRuleService({ store, ...(now !== undefined && { now }) });
    this.sipWebhooks = new SipWebhookService({ store, ...(now !== undefined && { now }) });
    this.calls = new CallService({
      store,
      connectors: this.connectors,
      router: new CallRouter({ store, rooms: options.rooms, rules: this.rules, logger }),
      regions: this.regions,
      notifier: this.notifier,
      logger,
      seats: options.seats,
      ...(options.claimTtlSecs !== undefined && { claimTtlSecs: options.claimTtlSecs }),
      ...(options.staleAfterSecs !== undefined && { staleAfterSecs: options.staleAfterSecs }),
      ...(options.reapIntervalMs !== undefined && { reapIntervalMs: options.reapIntervalMs }),
      ...(now !== undefined && { now }),
      onListenerError: (error, event) =>
        logger.error({ err: error, event }, 'call event listener failed'),
    });
  }

  /** Loads (or creates) the call-webhook signing key and assembles the services. */
  static async create(options: TelephonyOptions): Promise<Telephony> {
    return new Telephony(options, await CallWebhookSigningKey.load(options.store));
  }

  /** This server's public base URL, from which webhook and ingest URLs are made. */
  get publicUrl(): string {
    if (this.#publicUrl === undefined) {
      throw new InvalidStateError('the public URL is not known until the server listens');
    }
    return this.#publicUrl;
  }

  /** Sets the public URL once the listener's address is known (when none is configured). */
  setPublicUrl(url: string): void {
    this.#publicUrl ??= url.replace(/\/+$/, '');
  }

  /** Starts webhook delivery and the call reaper. */
  start(): void {
    this.#outbox.start();
    this.calls.start();
  }

  /** Stops the reaper and webhook delivery (undelivered webhooks stay queued). Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.calls.close();
      await this.#outbox.close();
    })();
    return this.#closing;
  }
}
