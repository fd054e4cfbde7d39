import { createPrivateKey, generateKeyPair, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { InvalidStateError } from '../errors.js';
import type { Store } from '../store/Store.js';
import { TelephonySigningKeyRepository } from '../store/TelephonySigningKeyRepository.js';

const generateRsaKeyPair = promisify(generateKeyPair);

/** The header VideoSDK's receivers verify. */
export const VIDEOSDK_SIGNATURE_HEADER = 'videosdk-signature';

const SLOT = 'call-webhooks';
const ALGORITHM = 'RSA-SHA256';

/**
 * The RSA key that signs call webhooks as VideoSDK does: `videosdk-signature` is the base64
 * RSA-SHA256 (PKCS#1 v1.5) signature of the exact body. Generated on first start and kept in the
 * store, so every node signs with the same key and receivers keep one public key.
 */
export class CallWebhookSigningKey {
  /** SPKI PEM, as `GET /v2/public/rsa-public-key` publishes it. */
  readonly publicKeyPem: string;
  readonly #privateKey: KeyObject;

  private constructor(privateKeyPem: string, publicKeyPem: string) {
    this.#privateKey = createPrivateKey(privateKeyPem);
    this.publicKeyPem = publicKeyPem;
  }

  /** Loads the stored key, generating and storing one if there is none. */
  static async load(store: Store): Promise<CallWebhookSigningKey> {
    const keys = new TelephonySigningKeyRepository(store.db);
    let row = await keys.find(SLOT);
    if (row === undefined) {
      const pair = await generateRsaKeyPair('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      await keys.insertIfAbsent({
        id: SLOT,
        algorithm: ALGORITHM,
        private_key: pair.privateKey,
        public_key: pair.publicKey,
        created_at: new Date().toISOString(),
      });
      // Another node may have stored its key first; everyone uses the stored one.
      row = await keys.find(SLOT);
    }
    if (row === undefined || row.algorithm !== ALGORITHM) {
      throw new InvalidStateError('the call webhook signing key could not be loaded');
    }
    return new CallWebhookSigningKey(row.private_key, row.public_key);
  }

  /** Base64 signature of `body`'s UTF-8 bytes. */
  sign(body: string): string {
    return sign(ALGORITHM, Buffer.from(body, 'utf8'), this.#privateKey).toString('base64');
  }
}
