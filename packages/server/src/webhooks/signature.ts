import type { KeyObject } from 'node:crypto';
import { createPublicKey, sign, verify } from 'node:crypto';

// Telnyx's webhook signature: Ed25519 over `${timestamp}|${body}`, where the timestamp is unix
// seconds sent in `telnyx-timestamp` and the signature is base64 in `telnyx-signature-ed25519`.

export const SIGNATURE_HEADER = 'telnyx-signature-ed25519';
export const TIMESTAMP_HEADER = 'telnyx-timestamp';
/** How far a timestamp may be from the receiver's clock, as Telnyx's SDK checks it. */
export const SIGNATURE_TOLERANCE_SECS = 300;

/** The bytes that are signed. */
export function signedMessage(timestamp: number | string, body: string): Buffer {
  return Buffer.from(`${timestamp}|${body}`, 'utf8');
}

/** The base64 signature of a body sent at `timestamp` (unix seconds). */
export function signWebhook(privateKey: KeyObject, timestamp: number, body: string): string {
  return sign(null, signedMessage(timestamp, body), privateKey).toString('base64');
}

/** An Ed25519 public key as Telnyx publishes them: the raw 32 bytes, base64. */
export function rawPublicKeyBase64(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || jwk.x === undefined) {
    throw new TypeError('not an Ed25519 public key');
  }
  return Buffer.from(jwk.x, 'base64url').toString('base64');
}

/** The key object of a raw base64 Ed25519 public key. */
export function publicKeyFromRawBase64(raw: string): KeyObject {
  const bytes = Buffer.from(raw, 'base64');
  if (bytes.length !== 32) {
    throw new TypeError(`an Ed25519 public key has 32 bytes, got ${bytes.length}`);
  }
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: bytes.toString('base64url') },
    format: 'jwk',
  });
}

/**
 * Checks a delivery the way a receiver would: signature over timestamp and body, and the
 * timestamp within the tolerance of `nowMs`.
 */
export function verifyWebhook(
  publicKeyRawBase64: string,
  body: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  nowMs: number = Date.now(),
): boolean {
  const { timestamp, signature } = headers;
  if (timestamp === undefined || signature === undefined || !/^\d+$/.test(timestamp)) {
    return false;
  }
  if (Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) > SIGNATURE_TOLERANCE_SECS) {
    return false;
  }
  const signatureBytes = Buffer.from(signature, 'base64');
  if (signatureBytes.length !== 64) {
    return false;
  }
  return verify(
    null,
    signedMessage(timestamp, body),
    publicKeyFromRawBase64(publicKeyRawBase64),
    signatureBytes,
  );
}
