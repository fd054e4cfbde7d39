import { timingSafeEqual } from 'node:crypto';

export type DownloadKind = 'room_recordings' | 'room_compositions';

export interface DownloadLinksOptions {
  /**
   * A deterministic signature over `(timestamp, text)`: the room-webhook Ed25519 key, which is
   * stored with the server's data, so links survive restarts and work on every node.
   */
  sign: (timestamp: number, text: string) => string;
  /** How long a link works. Default 1 hour. */
  ttlSecs?: number | undefined;
  now?: () => number;
}

/** The query of a signed download link. */
export interface SignedQuery {
  expires: number;
  signature: string;
}

/**
 * Expiring download links for recordings and compositions: whoever holds one may fetch that
 * file until it expires, without an API key (as with a pre-signed storage URL).
 */
export class DownloadLinks {
  readonly #sign: (timestamp: number, text: string) => string;
  readonly #ttlSecs: number;
  readonly #now: () => number;

  constructor(options: DownloadLinksOptions) {
    this.#sign = options.sign;
    this.#ttlSecs = options.ttlSecs ?? 3600;
    this.#now = options.now ?? Date.now;
  }

  /** The path and query (after the API's base URL) of a link to one file. */
  pathFor(kind: DownloadKind, id: string): string {
    const expires = Math.floor(this.#now() / 1000) + this.#ttlSecs;
    const signature = this.#signature(kind, id, expires);
    return `/v2/downloads/${kind}/${id}?expires=${expires}&signature=${encodeURIComponent(signature)}`;
  }

  /** True when the link is genuine and has not expired. */
  verify(kind: DownloadKind, id: string, query: SignedQuery): boolean {
    if (!Number.isInteger(query.expires) || query.expires * 1000 < this.#now()) {
      return false;
    }
    const expected = Buffer.from(this.#signature(kind, id, query.expires));
    const given = Buffer.from(query.signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  #signature(kind: DownloadKind, id: string, expires: number): string {
    return Buffer.from(this.#sign(expires, `download\n${kind}\n${id}`), 'base64').toString(
      'base64url',
    );
  }
}
