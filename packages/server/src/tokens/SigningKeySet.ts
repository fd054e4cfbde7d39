import type { JsonWebKey, KeyObject } from 'node:crypto';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { JWK } from 'jose';
import { calculateJwkThumbprint } from 'jose';
import type { SigningKeyRow } from '../store/SigningKeyRepository.js';
import type { Store } from '../store/Store.js';
import { TOKEN_ALGORITHM } from './claims.js';

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: JWK;
}

/**
 * The Ed25519 key pairs that sign client tokens. The first start generates one and keeps it in
 * the store, so tokens survive restarts and every node of a cluster shares it.
 */
export class SigningKeySet {
  readonly #keys: SigningKey[];

  private constructor(keys: SigningKey[]) {
    this.#keys = keys;
  }

  static async load(store: Store): Promise<SigningKeySet> {
    let rows = await store.signingKeys.list();
    if (rows.length === 0) {
      try {
        await store.signingKeys.insert(await generateRow());
      } catch {
        // Another node generated one at the same moment; use whatever the store holds.
      }
      rows = await store.signingKeys.list();
    }
    return new SigningKeySet(rows.map(fromRow));
  }

  /** A key set held only in memory, for tests and benchmarks. */
  static async ephemeral(): Promise<SigningKeySet> {
    return new SigningKeySet([fromRow(await generateRow())]);
  }

  /** The key new tokens are signed with (the newest). */
  get current(): { kid: string; privateKey: KeyObject } {
    const key = this.#keys[0];
    if (key === undefined) {
      throw new Error('no signing key');
    }
    return key;
  }

  publicKey(kid: string): KeyObject | undefined {
    return this.#keys.find((k) => k.kid === kid)?.publicKey;
  }

  /** The public keys as a JSON Web Key Set, for `/.well-known/jwks.json`. */
  jwks(): { keys: JWK[] } {
    return {
      keys: this.#keys.map((k) => ({
        ...k.publicJwk,
        kid: k.kid,
        alg: TOKEN_ALGORITHM,
        use: 'sig',
      })),
    };
  }
}

async function generateRow(): Promise<SigningKeyRow> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicJwk = publicKey.export({ format: 'jwk' }) as JWK;
  return {
    id: await calculateJwkThumbprint(publicJwk),
    algorithm: TOKEN_ALGORITHM,
    private_jwk: JSON.stringify(privateKey.export({ format: 'jwk' })),
    public_jwk: JSON.stringify(publicJwk),
    created_at: new Date().toISOString(),
  };
}

function fromRow(row: SigningKeyRow): SigningKey {
  const privateKey = createPrivateKey({
    key: JSON.parse(row.private_jwk) as JsonWebKey,
    format: 'jwk',
  });
  return {
    kid: row.id,
    privateKey,
    publicKey: createPublicKey(privateKey),
    publicJwk: JSON.parse(row.public_jwk) as JWK,
  };
}
