import type { ErrorCode, TokenError } from '../errors.js';
import { ErrorCode as Codes, PalaverError } from '../errors.js';

/**
 * How a refusal looks on the wire. `@telnyx/video` treats any frame with a `status_code` as
 * fatal (401 → unauthorized, 403 → forbidden, 503 → network error) and closes the connection.
 */
export type RefusalStatus = 400 | 401 | 403 | 429 | 503;

/** WebSocket close codes the gateway uses. */
export const CloseCode = {
  /** The client closed normally. */
  Normal: 1000,
  /** The server is stopping. */
  GoingAway: 1001,
  /** Binary or otherwise unusable frames. */
  Unsupported: 1003,
  /** Too many frames. */
  PolicyViolation: 1008,
  /** Palaver could not reach its media server. */
  InternalError: 1011,
  /** Janus restarted: the media session is gone, joining again works. */
  ServiceRestart: 1012,
  /** The SDK reports `timed_out`: Janus ended the session for lack of keepalives. */
  TimedOut: 3999,
  /** The SDK reports `session_terminated`: the room was deleted or the participant removed. */
  SessionTerminated: 4000,
  /** The token stopped being valid (expired, tampered with, not for this room, room gone). */
  Unauthorized: 4001,
  /** A newer connection declared this connection's participant id and took its place. */
  Replaced: 4002,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

export interface GatewayRefusalOptions {
  /** When set, the connection is closed with this code after the refusal frame. */
  close?: CloseCode;
  cause?: unknown;
}

/** A client frame the gateway does not forward, and how to tell the client. */
export class GatewayRefusal extends PalaverError {
  readonly status: RefusalStatus;
  readonly close: CloseCode | undefined;

  constructor(
    status: RefusalStatus,
    code: ErrorCode,
    message: string,
    options: GatewayRefusalOptions = {},
  ) {
    super(code, message, { cause: options.cause });
    this.status = status;
    this.close = options.close;
  }

  static malformed(message: string): GatewayRefusal {
    return new GatewayRefusal(400, Codes.MalformedRequest, message);
  }

  /** Frames that cannot be Janus requests at all: the connection ends. */
  static unsupported(message: string): GatewayRefusal {
    return new GatewayRefusal(400, Codes.MalformedRequest, message, {
      close: CloseCode.Unsupported,
    });
  }

  /** The token or the room it names is no good: the connection ends. */
  static unauthorized(message: string, cause?: unknown): GatewayRefusal {
    return new GatewayRefusal(401, Codes.Unauthorized, message, {
      close: CloseCode.Unauthorized,
      cause,
    });
  }

  static fromTokenError(error: TokenError): GatewayRefusal {
    return new GatewayRefusal(401, error.code, error.message, {
      close: CloseCode.Unauthorized,
      cause: error,
    });
  }

  /** A request the client may not make; the connection stays open. */
  static forbidden(message: string): GatewayRefusal {
    return new GatewayRefusal(403, Codes.Forbidden, message);
  }

  static rateLimited(message: string): GatewayRefusal {
    return new GatewayRefusal(429, Codes.RateLimited, message, {
      close: CloseCode.PolicyViolation,
    });
  }

  static unavailable(message: string, cause?: unknown): GatewayRefusal {
    return new GatewayRefusal(503, Codes.Unavailable, message, {
      close: CloseCode.InternalError,
      cause,
    });
  }
}
