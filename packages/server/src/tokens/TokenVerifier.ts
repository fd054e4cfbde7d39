import { errors as joseErrors, jwtVerify } from 'jose';
import { TokenError } from '../errors.js';
import type { ClientGrant, TokenType } from './claims.js';
import {
  claimsProblem,
  joinableRoom,
  TOKEN_ALGORITHM,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
} from './claims.js';
import type { SigningKeySet } from './SigningKeySet.js';

export interface TokenExpectation {
  type: TokenType;
  /** When given, the token must grant `join` on exactly this room. */
  roomId?: string;
}

export interface TokenVerifierOptions {
  /** How many verified tokens to remember. Default: 10 000. */
  cacheSize?: number;
  now?: () => number;
}

/**
 * Checks client and refresh tokens. The room gateway calls it on every client frame, and a
 * client sends the same token on every frame, so a verified token is remembered and later
 * checks cost a map lookup and a clock comparison instead of a signature verification.
 */
export class TokenVerifier {
  readonly #keys: SigningKeySet;
  readonly #now: () => number;
  readonly #cacheSize: number;
  readonly #verified = new Map<string, ClientGrant>();

  constructor(keys: SigningKeySet, options: TokenVerifierOptions = {}) {
    this.#keys = keys;
    this.#now = options.now ?? Date.now;
    this.#cacheSize = options.cacheSize ?? 10_000;
  }

  /** Returns the token's grant, or throws a `TokenError` saying why it is refused. */
  async verify(token: string, expected: TokenExpectation): Promise<ClientGrant> {
    const grant = this.#verified.get(token) ?? (await this.#verifySignature(token));
    if (grant.expiresAt <= this.#now()) {
      this.#verified.delete(token);
      throw TokenError.expired();
    }
    if (grant.type !== expected.type) {
      throw TokenError.wrongType(expected.type);
    }
    if (expected.roomId !== undefined && grant.roomId !== expected.roomId) {
      throw TokenError.notForRoom(expected.roomId);
    }
    return grant;
  }

  async #verifySignature(token: string): Promise<ClientGrant> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(
        token,
        (header) => {
          const key = header.kid === undefined ? undefined : this.#keys.publicKey(header.kid);
          if (key === undefined) {
            throw TokenError.invalid('signed by an unknown key');
          }
          return key;
        },
        {
          algorithms: [TOKEN_ALGORITHM],
          issuer: TOKEN_ISSUER,
          audience: TOKEN_AUDIENCE,
          currentDate: new Date(this.#now()),
          requiredClaims: ['exp', 'jti'],
        },
      ));
    } catch (error) {
      throw toTokenError(error);
    }
    const problem = claimsProblem(payload);
    if (problem !== undefined) {
      throw TokenError.invalid(problem);
    }
    const roomId = joinableRoom(payload.grants as never);
    if (roomId === undefined) {
      throw TokenError.invalid('no join grant');
    }
    const grant: ClientGrant = {
      tokenId: payload.jti as string,
      type: payload.typ as TokenType,
      roomId,
      subject: (payload.grants as { subjects: string[] }[])[0]?.subjects[0] ?? '',
      expiresAt: (payload.exp as number) * 1000,
    };
    if (this.#verified.size >= this.#cacheSize) {
      // Maps iterate in insertion order: drop the oldest entry.
      const oldest = this.#verified.keys().next();
      if (oldest.done !== true) {
        this.#verified.delete(oldest.value);
      }
    }
    this.#verified.set(token, grant);
    return grant;
  }
}

function toTokenError(error: unknown): TokenError {
  if (error instanceof TokenError) {
    return error;
  }
  if (error instanceof joseErrors.JWTExpired) {
    return TokenError.expired();
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return TokenError.invalid(`claim ${error.claim} ${error.reason}`, error);
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return TokenError.invalid('signature does not match', error);
  }
  if (error instanceof joseErrors.JOSEError) {
    return TokenError.invalid(error.message, error);
  }
  return TokenError.invalid('not a JWT', error);
}
