import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { ApiKeyRow } from '../store/ApiKeyRepository.js';
import type { Store } from '../store/Store.js';

/** A key as listed: everything but the secret. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  /** The first characters of the secret. */
  prefix: string;
  origin: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** A key just created; `secret` is shown once and never stored. */
export interface CreatedApiKey extends ApiKeyInfo {
  secret: string;
}

/** Who a request authenticated as. */
export interface ApiPrincipal {
  keyId: string;
  keyName: string;
}

export interface ApiKeyServiceOptions {
  /** How long a successful lookup is trusted before the store is asked again. Default: 2000 ms. */
  cacheMs?: number;
  now?: () => number;
}

const SECRET_PREFIX = 'pvk_';
const PREFIX_LENGTH = SECRET_PREFIX.length + 8;
const TOUCH_INTERVAL_MS = 60_000;

/**
 * API keys: created with a random secret, stored as its SHA-256 hash, checked on every API
 * request. Keys have high entropy, so a plain hash is enough and keeps the check fast.
 */
export class ApiKeyService {
  readonly #store: Store;
  readonly #cacheMs: number;
  readonly #now: () => number;
  // Short-lived cache so a hot API path does not query the store on every request; a key
  // revoked from another process stops working within `cacheMs`.
  readonly #cache = new Map<string, { principal: ApiPrincipal; until: number }>();
  readonly #touchedAt = new Map<string, number>();

  constructor(store: Store, options: ApiKeyServiceOptions = {}) {
    this.#store = store;
    this.#cacheMs = options.cacheMs ?? 2000;
    this.#now = options.now ?? Date.now;
  }

  async create(name: string, origin = 'cli'): Promise<CreatedApiKey> {
    const secret = SECRET_PREFIX + randomBytes(24).toString('base64url');
    return this.#insert(name, origin, secret);
  }

  async list(): Promise<ApiKeyInfo[]> {
    return (await this.#store.apiKeys.list()).map(toInfo);
  }

  /** Revokes a key by id or prefix; returns how many it revoked (0 when none matched). */
  async revoke(idOrPrefix: string): Promise<number> {
    this.#cache.clear();
    return this.#store.apiKeys.revoke(idOrPrefix, this.#iso());
  }

  /**
   * Makes sure a key with exactly this secret exists and is active, and revokes keys an
   * earlier value of PALAVER_API_KEY created.
   */
  async ensureConfiguredKey(secret: string): Promise<void> {
    const hash = hashSecret(secret);
    await this.#store.apiKeys.revokeOriginExcept('env', hash, this.#iso());
    const existing = await this.#store.apiKeys.findByHash(hash);
    if (existing === undefined) {
      await this.#insert('PALAVER_API_KEY', 'env', secret);
    } else if (existing.revoked_at !== null && existing.origin === 'env') {
      await this.#store.apiKeys.reactivate(existing.id);
    }
  }

  /** Creates a key when none is active, so a first start can print one; otherwise nothing. */
  async ensureFirstKey(): Promise<CreatedApiKey | undefined> {
    if ((await this.#store.apiKeys.countActive()) > 0) {
      return undefined;
    }
    return this.create('first start', 'first_start');
  }

  /** The key's owner, or undefined when the secret is unknown or revoked. */
  async authenticate(secret: string): Promise<ApiPrincipal | undefined> {
    const hash = hashSecret(secret);
    const now = this.#now();
    const cached = this.#cache.get(hash);
    if (cached !== undefined && cached.until > now) {
      return cached.principal;
    }
    const row = await this.#store.apiKeys.findActiveByHash(hash);
    if (row === undefined) {
      this.#cache.delete(hash);
      return undefined;
    }
    const principal = { keyId: row.id, keyName: row.name };
    if (this.#cache.size > 10_000) {
      this.#cache.clear();
    }
    this.#cache.set(hash, { principal, until: now + this.#cacheMs });
    this.#touch(row.id, now);
    return principal;
  }

  #touch(id: string, now: number): void {
    const last = this.#touchedAt.get(id) ?? 0;
    if (now - last < TOUCH_INTERVAL_MS) {
      return;
    }
    this.#touchedAt.set(id, now);
    // Best effort: a failed bookkeeping write must not fail the request.
    this.#store.apiKeys.touch(id, new Date(now).toISOString()).catch(() => undefined);
  }

  async #insert(name: string, origin: string, secret: string): Promise<CreatedApiKey> {
    const row: ApiKeyRow = {
      id: randomUUID(),
      name,
      secret_hash: hashSecret(secret),
      secret_prefix: secret.slice(0, PREFIX_LENGTH),
      origin,
      created_at: this.#iso(),
      last_used_at: null,
      revoked_at: null,
    };
    await this.#store.apiKeys.insert(row);
    return { ...toInfo(row), secret };
  }

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function toInfo(row: ApiKeyRow): ApiKeyInfo {
  return {
    id: row.id,
    name: row.name,
    prefix: row.secret_prefix,
    origin: row.origin,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}
