import { PhoneSimError, PhoneSimErrorCode } from './errors.js';
import type { CallIdentity } from './ids.js';
import type { WebhookSigner } from './WebhookSigner.js';

export type HttpMethod = 'GET' | 'POST';

/** What one webhook request looked like and what came back. */
export interface WebhookExchange {
  url: string;
  method: HttpMethod;
  /** The exact form-encoded text sent (the body for POST, the query for GET). */
  form: string;
  status: number;
  responseBody: string;
  contentType: string | undefined;
  elapsedMs: number;
}

export interface SendWebhookOptions {
  url: string;
  method: HttpMethod;
  fields: Record<string, string>;
  signer?: WebhookSigner | undefined;
  timeoutMs?: number;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/** The TeXML voice-webhook (instruction fetch) parameters Telnyx always sends, in its order. */
export function voiceWebhookFields(
  call: CallIdentity,
  callStatus: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    AccountSid: call.accountSid,
    CallSid: call.callSid,
    CallSidLegacy: call.callSid,
    From: call.from,
    To: call.to,
    ConnectionId: call.connectionId,
    ApiVersion: '2010-04-01',
    CallStatus: callStatus,
    ...extra,
  };
}

/**
 * Sends one Telnyx-style webhook: form-encoded body for POST, query string for GET (appended to any
 * query the URL already has). When signed, the signature covers `timestamp|body`; a GET has an
 * empty body. Network failures and timeouts raise `webhook_failed`; any HTTP status is returned.
 */
export async function sendWebhook(options: SendWebhookOptions): Promise<WebhookExchange> {
  const form = new URLSearchParams(options.fields).toString();
  const body = options.method === 'POST' ? form : '';
  let target = options.url;
  if (options.method === 'GET') {
    target += (target.includes('?') ? '&' : '?') + form;
  }
  const headers: Record<string, string> = {
    accept: '*/*',
    'user-agent': 'palaver-phone-sim',
    ...options.headers,
  };
  if (options.method === 'POST') {
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  if (options.signer !== undefined) {
    Object.assign(headers, options.signer.sign(body));
  }
  const started = performance.now();
  let response: Response;
  let responseBody: string;
  try {
    response = await fetch(target, {
      method: options.method,
      headers,
      ...(options.method === 'POST' ? { body } : {}),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      redirect: 'follow',
    });
    responseBody = await response.text();
  } catch (error) {
    // fetch reports "fetch failed" and keeps the useful part (ECONNREFUSED, a TLS error) in `cause`.
    const cause =
      error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    const reason = (error instanceof Error ? error.message : String(error)) + cause;
    throw new PhoneSimError(
      PhoneSimErrorCode.WebhookFailed,
      `${options.method} ${options.url} failed: ${reason}`,
      { cause: error },
    );
  }
  return {
    url: options.url,
    method: options.method,
    form,
    status: response.status,
    responseBody,
    contentType: response.headers.get('content-type') ?? undefined,
    elapsedMs: performance.now() - started,
  };
}
