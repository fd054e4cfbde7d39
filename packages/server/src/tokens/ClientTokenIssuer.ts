import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
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

/** Signs client join tokens and refresh tokens (EdDSA over Ed25519). */
export class ClientTokenIssuer {
  readonly #keys: SigningKeySet;
  readonly #now: () => number;

  constructor(keys: SigningKeySet, options: ClientTokenIssuerOptions = {}) {
    this.#keys = keys;
    this.#now = options.now ?? Date.now;
  }

  /** A token of `type` granting `join` on `roomId` to `subjectId`, valid for `ttlSecs`. */
  async sign(
    type: TokenType,
    roomId: string,
    subjectId: string,
    ttlSecs: number,
  ): Promise<SignedToken> {
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
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: TOKEN_ALGORITHM, typ: 'JWT', kid })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setJti(randomUUID())
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(privateKey);
    return { token, expiresAt: new Date(exp * 1000).toISOString() };
  }
}
