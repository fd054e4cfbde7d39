import type { KeyObject } from 'node:crypto';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { Store } from '../store/Store.js';
import type { WebhookSigningKeyRow } from '../store/WebhookRepository.js';
import { WebhookRepository } from '../store/WebhookRepository.js';
import { rawPublicKeyBase64, signWebhook } from './signature.js';

/** The slot of the key that signs deliveries; a rotation would add another slot. */
const PRIMARY_SLOT = 'primary';
const ALGORITHM = 'Ed25519';

/**
 * The Ed25519 key pair that signs room webhooks. The first start generates it and keeps it in
 * the store, so every node and every restart signs with the same key and receivers configure
 * its public key once.
 */
export class WebhookSigningKey {
  readonly algorithm = ALGORITHM;
  /** The raw 32-byte public key, base64: what Telnyx's SDKs take as `publicKey`. */
  readonly publicKey: string;
  readonly #privateKey: KeyObject;

  private constructor(privateKey: KeyObject) {
    this.#privateKey = privateKey;
    this.publicKey = rawPublicKeyBase64(createPublicKey(privateKey));
  }

  /** The stored key, generated and stored first when there is none. */
  static async load(store: Store): Promise<WebhookSigningKey> {
    const repository = new WebhookRepository(store.db);
    let row = await repository.findSigningKey(PRIMARY_SLOT);
    if (row === undefined) {
      // Several nodes may start at once: only the first insert lands, and all read that one.
      await repository.insertSigningKeyIfAbsent(generateRow());
      row = await repository.findSigningKey(PRIMARY_SLOT);
    }
    if (row === undefined) {
      throw new Error('webhook signing key missing right after it was stored');
    }
    return new WebhookSigningKey(
      createPrivateKey({
        key: Buffer.from(row.private_key, 'base64'),
        format: 'der',
        type: 'pkcs8',
      }),
    );
  }

  /** A key held only in memory, for tests. */
  static ephemeral(): WebhookSigningKey {
    return new WebhookSigningKey(generateKeyPairSync('ed25519').privateKey);
  }

  /** The base64 signature of `body` sent at `timestamp` (unix seconds). */
  sign(timestamp: number, body: string): string {
    return signWebhook(this.#privateKey, timestamp, body);
  }
}

function generateRow(): WebhookSigningKeyRow {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    id: PRIMARY_SLOT,
    algorithm: ALGORITHM,
    private_key: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    public_key: rawPublicKeyBase64(publicKey),
    created_at: new Date().toISOString(),
  };
}
