import type { JsonWebKey, KeyObject } from 'node:crypto';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { JWK } from 'jose';
import { calculateJwkThumbprint } from 'jose';
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
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const publicJwk = publicKey.export({ format: 'jwk' }) as JWK;
      const kid = await calculateJwkThumbprint(publicJwk);
      try {
        await store.signingKeys.insert({
          id: kid,
          algorithm: TOKEN_ALGORITHM,
          private_jwk: JSON.stringify(privateKey.export({ format: 'jwk' })),
          public_jwk: JSON.stringify(publicJwk),
          created_at: new Date().toISOString(),
        });
      } catch {
        // Another node generated one at the same moment; use whatever the store holds.
      }
      rows = await store.signingKeys.list();
    }
    return new SigningKeySet(
      rows.map((row) => {
        const privateJwk = JSON.parse(row.private_jwk) as JsonWebKey;
        const privateKey = createPrivateKey({ key: privateJwk, format: 'jwk' });
        return {
          kid: row.id,
          privateKey,
          publicKey: createPublicKey(privateKey),
          publicJwk: JSON.parse(row.public_jwk) as JWK,
        };
      }),
    );
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
      keys: this.#keys.map((k) => ({ ...k.publicJwk, kid: k.kid, alg: TOKEN_ALGORITHM, use: 'sig' })),
    };
  }
}
