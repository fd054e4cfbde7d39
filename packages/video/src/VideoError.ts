import { ErrorCode } from '@palaver/protocol';

/** Codes of failures that never cross the wire: they arise in the SDK itself. */
export const SdkErrorCode = {
  /** The call does not fit the room's state (not connected, no such stream, closed, …). */
  InvalidState: 'invalid_state',
  /** An argument is missing or of the wrong shape. */
  InvalidArgument: 'invalid_argument',
  /** The server did not answer in time. */
  TimedOut: 'timed_out',
  /** The connection to the server ended while the request was pending. */
  ConnectionLost: 'connection_lost',
  /** The media server (Janus) refused a request; `janusCode` says why. */
  MediaServerError: 'media_server_error',
  /** The browser lacks what the call needs (WebRTC, media devices). */
  Unsupported: 'unsupported',
} as const;

export type SdkErrorCode = (typeof SdkErrorCode)[keyof typeof SdkErrorCode];

/** Every code a {@link VideoError} can carry: Palaver's wire codes and the SDK's own. */
export type VideoErrorCode = ErrorCode | SdkErrorCode;

/** Details of a {@link VideoError} beyond its code and message. */
export interface VideoErrorOptions {
  /** The failure underneath, if any. */
  cause?: unknown;
  /** The gateway's HTTP-like `status_code` of a refused request. */
  status?: number;
  /** The Janus error code of a failed request. */
  janusCode?: number;
}

/** Status codes of the gateway's refusals, mapped to Palaver's stable error codes. */
const CODE_BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: ErrorCode.MalformedRequest,
  401: ErrorCode.Unauthorized,
  403: ErrorCode.Forbidden,
  429: ErrorCode.RateLimited,
  503: ErrorCode.Unavailable,
};

/** A failure of an SDK call, with a stable `code` to branch on. */
export class VideoError extends Error {
  readonly code: VideoErrorCode;
  readonly status: number | undefined;
  readonly janusCode: number | undefined;

  constructor(code: VideoErrorCode, message: string, options: VideoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VideoError';
    this.code = code;
    this.status = options.status;
    this.janusCode = options.janusCode;
  }

  /** A frame the gateway refused (`status_code` 400, 401, 403, 429 or 503). */
  static refused(status: number, message: string): VideoError {
    return new VideoError(CODE_BY_STATUS[status] ?? ErrorCode.Internal, message, { status });
  }

  static mediaServer(janusCode: number, message: string): VideoError {
    return new VideoError(SdkErrorCode.MediaServerError, message, { janusCode });
  }

  static invalidState(message: string): VideoError {
    return new VideoError(SdkErrorCode.InvalidState, message);
  }

  static invalidArgument(message: string): VideoError {
    return new VideoError(SdkErrorCode.InvalidArgument, message);
  }

  static timedOut(message: string): VideoError {
    return new VideoError(SdkErrorCode.TimedOut, message);
  }

  static connectionLost(message: string): VideoError {
    return new VideoError(SdkErrorCode.ConnectionLost, message);
  }
}
