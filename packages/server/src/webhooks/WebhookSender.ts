import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from './signature.js';
import { WebhookDeliveryError } from './WebhookDeliveryError.js';
import type { WebhookSigningKey } from './WebhookSigningKey.js';

export const WEBHOOK_USER_AGENT = 'Palaver-Webhooks/1.0';

/** How much of an error response is kept for `last_error`. */
const ERROR_BODY_CHARS = 200;

export type SendResult =
  | { ok: true; url: string; status: number; ms: number }
  | { ok: false; url: string; error: WebhookDeliveryError; ms: number };

export interface WebhookSenderOptions {
  signingKey: WebhookSigningKey;
  /** Replaces the global `fetch` (tests). */
  fetch?: typeof fetch;
  /** Clock for the signature timestamp, in milliseconds. Default: `Date.now`. */
  now?: () => number;
}

/** Makes one signed POST of a webhook body and classifies the outcome; never throws. */
export class WebhookSender {
  readonly #signingKey: WebhookSigningKey;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;

  constructor(options: WebhookSenderOptions) {
    this.#signingKey = options.signingKey;
    this.#fetch = options.fetch ?? fetch;
    this.#now = options.now ?? Date.now;
  }

  /**
   * POSTs `body` to `url`. Only a 2xx answer within `timeoutMs` counts; `signal` aborts the
   * attempt (dispatcher shutdown) and yields an `aborted` failure.
   */
  async send(
    url: string,
    body: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
    const shown = safeUrl(url);
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([timeout, signal]);
    // Signed per attempt: receivers reject timestamps older than five minutes, and retries go on
    // for much longer than that.
    const timestamp = Math.floor(this.#now() / 1000);
    const { target, authorization } = splitCredentials(url);
    try {
      const response = await this.#fetch(target, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': WEBHOOK_USER_AGENT,
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: this.#signingKey.sign(timestamp, body),
          ...(authorization !== undefined && { authorization }),
        },
        body,
        // A redirect would turn the POST into a GET elsewhere; a 3xx counts as a failure instead.
        redirect: 'manual',
        signal: combined,
      });
      if (response.status >= 200 && response.status < 300) {
        await response.body?.cancel().catch(() => undefined);
        return { ok: true, url, status: response.status, ms: elapsed() };
      }
      const text = await response.text().catch(() => '');
      const snippet = text.trim().slice(0, ERROR_BODY_CHARS);
      return {
        ok: false,
        url,
        ms: elapsed(),
        error: new WebhookDeliveryError(
          'http_status',
          shown,
          `HTTP ${response.status}${snippet === '' ? '' : ` ${snippet}`}`,
          { status: response.status },
        ),
      };
    } catch (error) {
      let failure: WebhookDeliveryError;
      if (signal?.aborted === true) {
        failure = new WebhookDeliveryError('aborted', shown, 'dispatcher stopping', {
          cause: error,
        });
      } else if (timeout.aborted) {
        failure = new WebhookDeliveryError('timeout', shown, `no answer within ${timeoutMs} ms`, {
          cause: error,
        });
      } else {
        const detail = networkDetail(error).split(url).join(shown);
        failure = new WebhookDeliveryError('network', shown, detail, { cause: error });
      }
      return { ok: false, url, ms: elapsed(), error: failure };
    }
  }
}

/**
 * fetch refuses URLs with credentials; `https://user:pass@host/…` is sent as basic auth instead,
 * which is what such a URL asks for.
 */
function splitCredentials(url: string): { target: string; authorization?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { target: url };
  }
  if (parsed.username === '' && parsed.password === '') {
    return { target: url };
  }
  const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = '';
  parsed.password = '';
  return {
    target: parsed.href,
    authorization: `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`,
  };
}

/** The URL without credentials or query, which may hold secrets, for logs and `last_error`. */
function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

function networkDetail(error: unknown): string {
  if (!(error instanceof Error)) {
    return String(error);
  }
  // fetch reports "fetch failed" and keeps the socket-level reason (ECONNREFUSED, …) as cause.
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as Error & { code?: unknown }).code;
    return typeof code === 'string' ? `${code} (${cause.message})` : cause.message;
  }
  return error.message;
}
