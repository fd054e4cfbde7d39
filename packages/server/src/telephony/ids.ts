import { createHash, randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const LOWER36 = '0123456789abcdefghijklmnopqrstuvwxyz';

/** `length` characters drawn uniformly from `alphabet` (rejection sampling, so no bias). */
function randomString(alphabet: string, length: number): string {
  // The largest multiple of the alphabet size that fits a byte; bytes above it are redrawn.
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit) {
        out += alphabet[byte % alphabet.length];
        if (out.length === length) {
          break;
        }
      }
    }
  }
  return out;
}

/** `cn_` + 16 lowercase letters and digits, like VideoSDK's connector ids. */
export function newConnectorId(): string {
  return `cn_${randomString(LOWER36, 16)}`;
}

export function newRuleId(): string {
  return `rule_${randomString(LOWER36, 16)}`;
}

export function newCallId(): string {
  return `call_${randomString(LOWER36, 20)}`;
}

export function newSipWebhookId(): string {
  return `wh_${randomString(LOWER36, 16)}`;
}

/** The secret of a connector's webhook URL: 32 base62 characters, about 190 bits. */
export function newWebhookKey(): string {
  return `whk_${randomString(BASE62, 32)}`;
}

/** A stream claim reference: 32 base62 characters, about 190 bits, single use. */
export function newCallRef(): string {
  return randomString(BASE62, 32);
}

/** Short random text for generated room names. */
export function randomSuffix(length = 8): string {
  return randomString(LOWER36, length);
}

/** What is stored of a ref: a leaked database row must not let anyone claim a call. */
export function hashRef(ref: string): string {
  return createHash('sha256').update(ref).digest('hex');
}
