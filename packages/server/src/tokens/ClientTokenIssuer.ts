import type { KeyObject } from 'node:crypto';
import { randomUUID, sign } from 'node:crypto';
import type { ClientTokenClaims, TokenType } from './claims.js';
import {
  GRANTS_VERSION,
  JOIN_ACTION,
  roomResource,
  TOKEN_ALGORITHM,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  userSubject,
} from './claims.js';
import type { SigningKeySet } from './SigningKeySet.js';

export interface SignedToken {
  token: string;
  /** ISO-8601. */
  expiresAt: string;
}

export interface ClientTokenIssuerOptions {
  now?: () => number;
}

/**
 * Signs client join tokens and refresh tokens (EdDSA over Ed25519). Verification goes through
 * jose; signing is a JWS compact serialisation over Node's one-shot Ed25519 `sign`, because
 * jose signs through WebCrypto's asynchronous job queue, which made token minting, a hot API
 * path, about twice as slow.
 */
export class ClientTokenIssuer {
  readonly #keys: SigningKeySet;
  readonly #now: () => number;

  constructor(keys: SigningKeySet, options: ClientTokenIssuerOptions = {}) {
    this.#keys = keys;
    this.#now = options.now ?? Date.now;
  }

  /** A token of `type` granting `join` on `roomId` to `subjectId`, valid for `ttlSecs`. */
  sign(type: TokenType, roomId: string, subjectId: string, ttlSecs: number): SignedToken {
    const iat = Math.floor(this.#now() / 1000);
    const exp = iat + ttlSecs;
    const claims: Omit<ClientTokenClaims, 'iss' | 'aud' | 'jti' | 'iat' | 'exp'> = {
      // Telnyx's tokens carry the literal string "null" here; the grants say who and what.
      sub: 'null',
      // One second of slack for clocks that are slightly behind, as Telnyx's tokens have.
      nbf: iat - 1,
      typ: type,
      grants_version: GRANTS_VERSION,
      grants: [
        {
          actions: [JOIN_ACTION],
          resources: [roomResource(roomId)],
          subjects: [userSubject(subjectId)],
        },
      ],
    };
    const { kid, privateKey } = this.#keys.current;
    const payload: ClientTokenClaims = {
      iss: TOKEN_ISSUER,
      aud: TOKEN_AUDIENCE,
      ...claims,
      jti: randomUUID(),
      iat,
      exp,
    };
    const token = signCompact({ alg: TOKEN_ALGORITHM, typ: 'JWT', kid }, payload, privateKey);
    return { token, expiresAt: new Date(exp * 1000).toISOString() };
  }
}

/** A JWS in compact serialisation (RFC 7515 §7.1) signed with an Ed25519 key. */
function signCompact(header: object, payload: object, key: KeyObject): string {
  const signingInput = `${base64url(header)}.${base64url(payload)}`;
  const signature = sign(null, Buffer.from(signingInput), key);
  return `${signingInput}.${signature.toString('base64url')}`;
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
