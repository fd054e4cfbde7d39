import { createPublicKey, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ValidationError } from '../errors.js';
import { TelnyxSignatureError } from './TelnyxSignatureError.js';

/** Telnyx's webhook signature headers. */
export const TELNYX_SIGNATURE_HEADER = 'telnyx-signature-ed25519';
export const TELNYX_TIMESTAMP_HEADER = 'telnyx-timestamp';
/** How far a signature's timestamp may be from our clock, either way. */
export const TELNYX_SIGNATURE_TOLERANCE_SECS = 300;

// DER prefix of an SPKI Ed25519 public key; the raw 32-byte key follows it.
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * Reads a Telnyx public key: base64 of the raw 32-byte Ed25519 key, as the Telnyx portal shows
 * it, or an SPKI PEM. Returns the key and its canonical base64 form.
 */
export function parseTelnyxPublicKey(
  text: string,
  field: string,
): { key: KeyObject; base64: string } {
  const trimmed = text.trim();
  const invalid = (cause?: unknown) =>
    new ValidationError(
      `${field} must be an Ed25519 public key: base64 of its 32 bytes (as the Telnyx portal shows it) or a PEM`,
      { source: { pointer: `/${field}` }, cause },
    );
  let key: KeyObject;
  try {
    if (trimmed.startsWith('-----BEGIN')) {
      key = createPublicKey(trimmed);
    } else {
      if (!/^[A-Za-z0-9+/]{42,43}={0,2}$/.test(trimmed)) {
        throw invalid();
      }
      const raw = Buffer.from(trimmed, 'base64');
      if (raw.length !== 32) {
        throw invalid();
      }
      key = createPublicKey({
        key: Buffer.concat([SPKI_ED25519_PREFIX, raw]),
        format: 'der',
        type: 'spki',
      });
    }
  } catch (error) {
    throw error instanceof ValidationError ? error : invalid(error);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw invalid();
  }
  const der = key.export({ format: 'der', type: 'spki' });
  return { key, base64: der.subarray(SPKI_ED25519_PREFIX.length).toString('base64') };
}

/**
 * Checks `telnyx-signature-ed25519` (base64 Ed25519 over `timestamp|body`) and that
 * `telnyx-timestamp` is within five minutes of `nowMs`; throws {@link TelnyxSignatureError}.
 * `body` is the exact raw request body (empty for a GET).
 */
export function checkTelnyxSignature(
  key: KeyObject,
  signature: string | undefined,
  timestamp: string | undefined,
  body: string,
  nowMs: number,
): void {
  if (signature === undefined || signature === '') {
    throw new TelnyxSignatureError(`no ${TELNYX_SIGNATURE_HEADER} header`);
  }
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) {
    throw new TelnyxSignatureError(`no valid ${TELNYX_TIMESTAMP_HEADER} header`);
  }
  const skew = Math.abs(nowMs / 1000 - Number(timestamp));
  if (skew > TELNYX_SIGNATURE_TOLERANCE_SECS) {
    throw new TelnyxSignatureError(
      `timestamp is ${Math.round(skew)} s away from now (at most ${TELNYX_SIGNATURE_TOLERANCE_SECS} s)`,
    );
  }
  let ok = false;
  try {
    ok = verify(
      null,
      Buffer.from(`${timestamp}|${body}`, 'utf8'),
      key,
      Buffer.from(signature, 'base64'),
    );
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new TelnyxSignatureError('signature does not match the body');
  }
}
