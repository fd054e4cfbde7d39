import { ErrorCode } from '@palaver/protocol';

export { ErrorCode };

/** Where in a request a bad value was found. */
export interface ErrorSource {
  /** JSON pointer into the request body, e.g. `/max_participants`. */
  pointer?: string;
  /** Query or path parameter name, e.g. `page[size]`. */
  parameter?: string;
}

export interface PalaverErrorOptions {
  source?: ErrorSource;
  cause?: unknown;
}

/**
 * Base of every error Palaver raises on purpose. It carries a stable `code`; HTTP statuses are
 * chosen from the code at the API edge only.
 */
export class PalaverError extends Error {
  readonly code: ErrorCode;
  readonly source: ErrorSource | undefined;

  constructor(code: ErrorCode, message: string, options: PalaverErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.source = options.source;
  }
}

/** A request names something that does not exist. */
export class NotFoundError extends PalaverError {
  constructor(resource: string, id: string, options: PalaverErrorOptions = {}) {
    super(ErrorCode.ResourceNotFound, `${resource} not found [id:${id}]`, options);
  }
}

/** A value is missing, malformed or out of range. */
export class ValidationError extends PalaverError {
  constructor(message: string, options: PalaverErrorOptions = {}) {
    super(ErrorCode.InvalidParameter, message, options);
  }
}

/** A unique value is already taken. */
export class ConflictError extends PalaverError {
  constructor(message: string, options: PalaverErrorOptions = {}) {
    super(ErrorCode.AlreadyExists, message, options);
  }
}

/** Missing or wrong credentials. */
export class AuthenticationError extends PalaverError {
  constructor(message: string, options: PalaverErrorOptions = {}) {
    super(ErrorCode.Unauthorized, message, options);
  }
}

/** A client or refresh token was refused; `code` says why. */
export class TokenError extends PalaverError {
  static invalid(detail: string, cause?: unknown): TokenError {
    return new TokenError(ErrorCode.TokenInvalid, `token invalid: ${detail}`, { cause });
  }

  static expired(): TokenError {
    return new TokenError(ErrorCode.TokenExpired, 'token expired');
  }

  static wrongType(expected: 'access' | 'refresh'): TokenError {
    return new TokenError(ErrorCode.TokenWrongType, `a ${expected} token is required`);
  }

  static notForRoom(roomId: string): TokenError {
    return new TokenError(
      ErrorCode.TokenNotForRoom,
      `token grants no join on room [roomId:${roomId}]`,
    );
  }
}

/** An object was used after close() or before it was ready. */
export class InvalidStateError extends PalaverError {
  constructor(message: string, options: PalaverErrorOptions = {}) {
    super(ErrorCode.Unavailable, message, options);
  }
}
