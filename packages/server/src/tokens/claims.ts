/** What a token is for: joining (access) or getting a new access token (refresh). */
export type TokenType = 'access' | 'refresh';

/** One grant: these subjects may do these actions on these resources. */
export interface TokenGrant {
  actions: string[];
  resources: string[];
  subjects: string[];
}

/** The payload of a client token; the same claims and grant structure as Telnyx's tokens. */
export interface ClientTokenClaims {
  iss: string;
  aud: string;
  sub: string;
  jti: string;
  iat: number;
  nbf: number;
  exp: number;
  typ: TokenType;
  grants_version: string;
  grants: TokenGrant[];
}

/** A verified token, reduced to what its holder may do. */
export interface ClientGrant {
  tokenId: string;
  type: TokenType;
  /** The room the token grants `join` on. */
  roomId: string;
  /** Who minted it (the API key's id). */
  subject: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

// Issuer, audience and resource names are Telnyx's own, so that apps and tools which read
// Telnyx tokens read ours unchanged.
export const TOKEN_ISSUER = 'telnyx_access_token';
export const TOKEN_AUDIENCE = 'telnyx_access_token';
export const TOKEN_ALGORITHM = 'Ed25519';
export const GRANTS_VERSION = '1.0.0';
export const JOIN_ACTION = 'join';
const ROOM_RESOURCE_PREFIX = 'telnyx:video:rooms:';
const USER_SUBJECT_PREFIX = 'telnyx:users:';

export function roomResource(roomId: string): string {
  return ROOM_RESOURCE_PREFIX + roomId;
}

export function userSubject(id: string): string {
  return USER_SUBJECT_PREFIX + id;
}

/** The room a grant list allows joining, or undefined when none does. */
export function joinableRoom(grants: readonly TokenGrant[]): string | undefined {
  for (const grant of grants) {
    if (!grant.actions.includes(JOIN_ACTION)) {
      continue;
    }
    const resource = grant.resources.find((r) => r.startsWith(ROOM_RESOURCE_PREFIX));
    if (resource !== undefined) {
      return resource.slice(ROOM_RESOURCE_PREFIX.length);
    }
  }
  return undefined;
}

/** Structural check of a verified payload; returns the problem, or undefined when sound. */
export function claimsProblem(payload: Record<string, unknown>): string | undefined {
  if (payload.typ !== 'access' && payload.typ !== 'refresh') {
    return 'typ must be access or refresh';
  }
  if (typeof payload.jti !== 'string' || typeof payload.exp !== 'number') {
    return 'jti and exp are required';
  }
  const grants = payload.grants;
  if (
    !Array.isArray(grants) ||
    !grants.every(
      (g: unknown) =>
        typeof g === 'object' &&
        g !== null &&
        isStringArray((g as TokenGrant).actions) &&
        isStringArray((g as TokenGrant).resources) &&
        isStringArray((g as TokenGrant).subjects),
    )
  ) {
    return 'grants are malformed';
  }
  return undefined;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}
