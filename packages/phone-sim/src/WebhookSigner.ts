import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { PhoneSimError, PhoneSimErrorCode } from './errors.js';

/** The headers Telnyx puts on a signed webhook. */
export interface SignatureHeaders {
  'telnyx-signature-ed25519': string;
  'telnyx-timestamp': string;
}

// DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows it.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function invalidKey(detail: string, cause?: unknown): PhoneSimError {
  return new PhoneSimError(
    PhoneSimErrorCode.InvalidSigningKey,
    `cannot read the signing key: ${detail}`,
    {
      cause,
    },
  );
}

/**
 * Signs webhooks as Telnyx does: Ed25519 over `${telnyx-timestamp}|${raw body}`, base64, in
 * `telnyx-signature-ed25519`. The verifying side needs {@link publicKey} (base64 of the raw 32-byte
 * key, the form Telnyx's portal shows and its SDK takes).
 */
export class WebhookSigner {
  /** Base64 of the raw 32-byte public key. */
  readonly publicKey: string;
  /** Base64 of the raw 32-byte private seed; what `--sign-key` takes. */
  readonly privateKey: string;
  private readonly key: KeyObject;

  private constructor(key: KeyObject) {
    this.key = key;
    const jwk = key.export({ format: 'jwk' });
    if (jwk.crv !== 'Ed25519' || jwk.d === undefined || jwk.x === undefined) {
      throw invalidKey('not an Ed25519 private key');
    }
    this.privateKey = Buffer.from(jwk.d, 'base64url').toString('base64');
    this.publicKey = Buffer.from(jwk.x, 'base64url').toString('base64');
  }

  /** A fresh key pair. */
  static generate(): WebhookSigner {
    return new WebhookSigner(generateKeyPairSync('ed25519').privateKey);
  }

  /**
   * Reads a private key given as base64 of the 32-byte seed (or of seed‖public, 64 bytes, as NaCl
   * writes it), as 64 hex digits, or as a PKCS#8 PEM.
   */
  static fromKey(text: string): WebhookSigner {
    const trimmed = text.trim();
    let key: KeyObject;
    try {
      if (trimmed.startsWith('-----BEGIN')) {
        key = createPrivateKey(trimmed);
      } else {
        let raw: Buffer;
        if (/^[0-9a-fA-F]{64}$/.test(trimmed)) {
          raw = Buffer.from(trimmed, 'hex');
        } else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
          raw = Buffer.from(trimmed, 'base64');
        } else {
          throw invalidKey('expected base64, hex or PEM');
        }
        if (raw.length !== 32 && raw.length !== 64) {
          throw invalidKey(`expected a 32-byte seed, got ${raw.length} bytes`);
        }
        key = createPrivateKey({
          key: Buffer.concat([PKCS8_ED25519_PREFIX, raw.subarray(0, 32)]),
          format: 'der',
          type: 'pkcs8',
        });
      }
    } catch (error) {
      throw error instanceof PhoneSimError
        ? error
        : invalidKey('not a valid Ed25519 private key', error);
    }
    if (key.asymmetricKeyType !== 'ed25519') {
      throw invalidKey(`expected an Ed25519 key, got ${key.asymmetricKeyType ?? 'unknown'}`);
    }
    return new WebhookSigner(key);
  }

  /** The public key as a PEM (SPKI), for verifiers that want one. */
  publicKeyPem(): string {
    return createPublicKey(this.key).export({ format: 'pem', type: 'spki' }).toString();
  }

  /** Signature headers for `body` sent at `timestampSeconds` (default: now). */
  sign(body: string, timestampSeconds = Math.floor(Date.now() / 1000)): SignatureHeaders {
    const timestamp = String(timestampSeconds);
    const signature = sign(null, Buffer.from(`${timestamp}|${body}`, 'utf8'), this.key);
    return {
      'telnyx-signature-ed25519': signature.toString('base64'),
      'telnyx-timestamp': timestamp,
    };
  }
}

// DER prefix of an SPKI Ed25519 public key; the raw 32-byte key follows it.
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * Checks a Telnyx-style signature: `telnyx-signature-ed25519` over `timestamp|body` with the raw
 * 32-byte public key (base64), and a timestamp within `toleranceSeconds` of now.
 */
export function verifyWebhookSignature(
  body: string,
  headers: Record<string, string | string[] | undefined>,
  publicKeyBase64: string,
  toleranceSeconds = 300,
): boolean {
  const header = (name: string): string | undefined => {
    const value = headers[name] ?? headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  };
  const signature = header('telnyx-signature-ed25519');
  const timestamp = header('telnyx-timestamp');
  if (signature === undefined || timestamp === undefined || !/^\d+$/.test(timestamp)) {
    return false;
  }
  if (Math.abs(Math.floor(Date.now() / 1000) - Number(timestamp)) > toleranceSeconds) {
    return false;
  }
  const raw = Buffer.from(publicKeyBase64, 'base64');
  if (raw.length !== 32) {
    return false;
  }
  try {
    const key = createPublicKey({
      key: Buffer.concat([SPKI_ED25519_PREFIX, raw]),
      format: 'der',
      type: 'spki',
    });
    return verify(
      null,
      Buffer.from(`${timestamp}|${body}`, 'utf8'),
      key,
      Buffer.from(signature, 'base64'),
    );
  } catch {
    return false;
  }
}
