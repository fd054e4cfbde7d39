import { ErrorCode, PalaverError } from '../errors.js';

/** Why one POST of a webhook did not count as delivered. */
export type WebhookFailureKind = 'http_status' | 'timeout' | 'network' | 'aborted';

/** One POST of a webhook failed; the dispatcher records it and retries. */
export class WebhookDeliveryError extends PalaverError {
  readonly kind: WebhookFailureKind;
  readonly url: string;
  /** The receiver's HTTP status, for `http_status`. */
  readonly status: number | undefined;

  constructor(
    kind: WebhookFailureKind,
    url: string,
    detail: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(ErrorCode.Unavailable, `webhook to ${url} failed: ${detail}`, { cause: options.cause });
    this.kind = kind;
    this.url = url;
    this.status = options.status;
  }
}
