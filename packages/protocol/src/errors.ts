/**
 * Stable error codes shared by the server and the SDKs. A code never changes meaning; HTTP
 * statuses are chosen from it only at the API edge.
 */
export const ErrorCode = {
  /** The request body is not valid JSON or not the expected content type. */
  MalformedRequest: 'malformed_request',
  /** A field is missing, of the wrong type, out of range or unknown. */
  InvalidParameter: 'invalid_parameter',
  /** The request body is larger than the server accepts. */
  PayloadTooLarge: 'payload_too_large',
  /** No API key, or one that is unknown or revoked. */
  Unauthorized: 'unauthorized',
  /** The credentials are valid but do not allow this. */
  Forbidden: 'forbidden',
  /** No route for this method and path. */
  RouteNotFound: 'route_not_found',
  /** The addressed resource does not exist. */
  ResourceNotFound: 'resource_not_found',
  /** A unique value is already taken (a room's unique_name). */
  AlreadyExists: 'already_exists',
  /** A client or refresh token that is malformed, tampered with or signed by another key. */
  TokenInvalid: 'token_invalid',
  /** A client or refresh token whose lifetime is over (or not yet begun). */
  TokenExpired: 'token_expired',
  /** A token of the wrong kind for this use, e.g. an access token where a refresh token belongs. */
  TokenWrongType: 'token_wrong_type',
  /** A token that grants nothing on the addressed room. */
  TokenNotForRoom: 'token_not_for_room',
  /** An action on a room session that has already ended. */
  SessionEnded: 'session_ended',
  /** A recording could not be converted, or a composition could not be made. */
  MediaProcessingFailed: 'media_processing_failed',
  /** The requested media is not ready yet (still recording or processing). */
  MediaNotReady: 'media_not_ready',
  /** Too many requests from one client. */
  RateLimited: 'rate_limited',
  /** The server is starting or stopping, or a dependency it needs is down. */
  Unavailable: 'service_unavailable',
  /** An unexpected failure; the log has the details. */
  Internal: 'internal_error',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** One entry of the Telnyx-style error body `{"errors":[…]}`. */
export interface ApiErrorEntry {
  code: string;
  title: string;
  detail?: string;
  source?: { pointer?: string; parameter?: string };
  meta?: Record<string, unknown>;
}

/** The body of every error response of the REST API. */
export interface ApiErrorBody {
  errors: ApiErrorEntry[];
}
