import type { ApiErrorBody, ApiErrorEntry } from '@palaver/protocol';
import { ErrorCode } from '@palaver/protocol';
import type { ErrorObject } from 'ajv';
import { PalaverError } from '../errors.js';

/** The one place that chooses an HTTP status and a title for an error code. */
const HTTP: Record<ErrorCode, { status: number; title: string }> = {
  [ErrorCode.MalformedRequest]: { status: 400, title: 'Malformed request' },
  [ErrorCode.InvalidParameter]: { status: 422, title: 'Invalid parameter' },
  [ErrorCode.PayloadTooLarge]: { status: 413, title: 'Payload too large' },
  [ErrorCode.Unauthorized]: { status: 401, title: 'Authentication failed' },
  [ErrorCode.Forbidden]: { status: 403, title: 'Forbidden' },
  [ErrorCode.RouteNotFound]: { status: 404, title: 'Route not found' },
  [ErrorCode.ResourceNotFound]: { status: 404, title: 'Resource not found' },
  [ErrorCode.AlreadyExists]: { status: 422, title: 'Already exists' },
  [ErrorCode.TokenInvalid]: { status: 401, title: 'Invalid token' },
  [ErrorCode.TokenExpired]: { status: 401, title: 'Token expired' },
  [ErrorCode.TokenWrongType]: { status: 422, title: 'Wrong token type' },
  [ErrorCode.TokenNotForRoom]: { status: 403, title: 'Token not valid for this room' },
  [ErrorCode.SessionEnded]: { status: 422, title: 'Session ended' },
  [ErrorCode.MediaProcessingFailed]: { status: 500, title: 'Media processing failed' },
  [ErrorCode.MediaNotReady]: { status: 409, title: 'Media not ready' },
  [ErrorCode.RateLimited]: { status: 429, title: 'Too many requests' },
  [ErrorCode.Unavailable]: { status: 503, title: 'Service unavailable' },
  [ErrorCode.Internal]: { status: 500, title: 'Internal error' },
};

/** An error as the API answers it. */
export interface ApiErrorResponse {
  status: number;
  body: ApiErrorBody;
}

export function errorResponse(
  code: ErrorCode,
  detail: string,
  source?: ApiErrorEntry['source'],
  status?: number,
): ApiErrorResponse {
  const { status: defaultStatus, title } = HTTP[code];
  const entry: ApiErrorEntry = { code, title, detail };
  if (source !== undefined && (source.pointer !== undefined || source.parameter !== undefined)) {
    entry.source = source;
  }
  return { status: status ?? defaultStatus, body: { errors: [entry] } };
}

export function palaverErrorResponse(error: PalaverError): ApiErrorResponse {
  return errorResponse(error.code, error.message, error.source);
}

/** Where a validation failure happened: the request body, the query string or the path. */
export type RequestPart = 'body' | 'querystring' | 'params' | 'headers';

/**
 * Turns a schema validation failure into a precise message and a JSON pointer (body) or a
 * parameter name in bracket notation (query), as Telnyx's errors carry them.
 */
export function validationErrorResponse(
  part: RequestPart,
  error: ErrorObject,
  input: unknown,
): ApiErrorResponse {
  let path = error.instancePath;
  let message: string;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      path = `${path}/${String(params.missingProperty)}`;
      message = 'is required';
      break;
    case 'additionalProperties':
      path = `${path}/${String(params.additionalProperty)}`;
      message = part === 'body' ? 'is not a known field' : 'is not a known parameter';
      break;
    case 'pattern':
      message = 'has an invalid format';
      break;
    default:
      message = error.message ?? 'is invalid';
  }
  const segments = path.split('/').slice(1).map(unescapePointer);
  const name = part === 'querystring' ? bracketName(segments) : segments.join('.');
  const value = valueAt(input, segments);
  const shown =
    error.keyword !== 'required' && error.keyword !== 'additionalProperties' && value !== undefined
      ? ` (got ${JSON.stringify(value)})`
      : '';
  const detail = name === '' ? `request ${part} ${message}` : `${name} ${message}${shown}`;
  const source =
    part === 'body'
      ? { pointer: path === '' ? '/' : path }
      : name === ''
        ? {}
        : { parameter: name };
  return errorResponse(ErrorCode.InvalidParameter, detail, source);
}

function bracketName(segments: string[]): string {
  const [first, ...rest] = segments;
  return first === undefined ? '' : first + rest.map((s) => `[${s}]`).join('');
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

function valueAt(input: unknown, segments: string[]): unknown {
  let current: unknown = input;
  for (const segment of segments) {
    if (typeof current !== 'object' || current === null) {
      return undefined;
    }
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

export { PalaverError };
