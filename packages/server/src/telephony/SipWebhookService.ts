import { NotFoundError, ValidationError } from '../errors.js';
import type { Page, PageRequest } from '../store/listQuery.js';
import { SipWebhookRepository } from '../store/SipWebhookRepository.js';
import type { Store } from '../store/Store.js';
import { newSipWebhookId } from './ids.js';
import type { SipWebhook, SipWebhookEvent } from './types.js';
import { SIP_WEBHOOK_EVENTS } from './types.js';

export interface SipWebhookSettings {
  url?: string | undefined;
  events?: string[] | undefined;
}

/** Subscriptions to call-lifecycle webhooks (`/v2/sip/webhooks`). */
export class SipWebhookService {
  readonly #store: Store;
  readonly #now: () => number;

  constructor(options: { store: Store; now?: () => number }) {
    this.#store = options.store;
    this.#now = options.now ?? Date.now;
  }

  async create(settings: SipWebhookSettings): Promise<SipWebhook> {
    if (settings.url === undefined) {
      throw new ValidationError('url is required', { source: { pointer: '/url' } });
    }
    if (settings.events === undefined) {
      throw new ValidationError('events is required', { source: { pointer: '/events' } });
    }
    const url = checkUrl(settings.url);
    const events = checkEvents(settings.events);
    const now = this.#iso();
    const id = newSipWebhookId();
    await this.#repository().insert({
      id,
      url,
      events: JSON.stringify(events),
      created_at: now,
      updated_at: now,
    });
    return this.get(id);
  }

  async list(search: string | undefined, page: PageRequest): Promise<Page<SipWebhook>> {
    return this.#repository().list(search, page);
  }

  async get(id: string): Promise<SipWebhook> {
    const webhook = await this.#repository().find(id);
    if (webhook === undefined) {
      throw new NotFoundError('webhook', id);
    }
    return webhook;
  }

  async update(id: string, settings: SipWebhookSettings): Promise<SipWebhook> {
    const changes = {
      ...(settings.url !== undefined && { url: checkUrl(settings.url) }),
      ...(settings.events !== undefined && {
        events: JSON.stringify(checkEvents(settings.events)),
      }),
      updated_at: this.#iso(),
    };
    if (!(await this.#repository().update(id, changes))) {
      throw new NotFoundError('webhook', id);
    }
    return this.get(id);
  }

  async delete(id: string): Promise<void> {
    if (!(await this.#repository().delete(id))) {
      throw new NotFoundError('webhook', id);
    }
  }

  #repository(): SipWebhookRepository {
    return new SipWebhookRepository(this.#store.db);
  }

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }
}

function checkUrl(url: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new ValidationError(`url "${url}" is not an http:// or https:// URL`, {
      source: { pointer: '/url' },
    });
  }
  return url;
}

function checkEvents(events: string[]): SipWebhookEvent[] {
  if (events.length === 0) {
    throw new ValidationError('events must name at least one event', {
      source: { pointer: '/events' },
    });
  }
  events.forEach((event, index) => {
    if (!(SIP_WEBHOOK_EVENTS as readonly string[]).includes(event)) {
      throw new ValidationError(
        `events[${index}] "${event}" is not a call event; known events: ${SIP_WEBHOOK_EVENTS.join(', ')}`,
        { source: { pointer: `/events/${index}` } },
      );
    }
  });
  return [...new Set(events)] as SipWebhookEvent[];
}
