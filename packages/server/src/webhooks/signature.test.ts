import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  publicKeyFromRawBase64,
  rawPublicKeyBase64,
  signWebhook,
  signedMessage,
  verifyWebhook,
} from './signature.js';

describe('webhook signatures', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = rawPublicKeyBase64(publicKey);
  const body = '{"data":{"id":"x"}}';
  const nowMs = 1_800_000_000_000;
  const timestamp = nowMs / 1000;

  it('publishes the raw 32-byte public key in base64, which round-trips', () => {
    expect(Buffer.from(raw, 'base64')).toHaveLength(32);
    // The raw key is the tail of the SPKI encoding.
    const spki = publicKey.export({ format: 'der', type: 'spki' });
    expect(Buffer.from(raw, 'base64').equals(spki.subarray(spki.length - 32))).toBe(true);
    expect(publicKeyFromRawBase64(raw).equals(publicKey)).toBe(true);
    expect(() => publicKeyFromRawBase64('AAAA')).toThrow(/32 bytes/);
  });

  it('signs "timestamp|body" with Ed25519', () => {
    const signature = signWebhook(privateKey, timestamp, body);
    expect(Buffer.from(signature, 'base64')).toHaveLength(64);
    expect(
      verify(
        null,
        Buffer.from(`${timestamp}|${body}`),
        publicKey,
        Buffer.from(signature, 'base64'),
      ),
    ).toBe(true);
    expect(signedMessage(timestamp, body).toString()).toBe(`${timestamp}|${body}`);
  });

  it('verifies like a receiver: body, timestamp and tolerance', () => {
    const signature = signWebhook(privateKey, timestamp, body);
    const ok = { timestamp: String(timestamp), signature };
    expect(verifyWebhook(raw, body, ok, nowMs)).toBe(true);
    expect(verifyWebhook(raw, body, ok, nowMs + 299_000)).toBe(true);
    expect(verifyWebhook(raw, body, ok, nowMs + 302_000)).toBe(false);
    expect(verifyWebhook(raw, `${body} `, ok, nowMs)).toBe(false);
    expect(verifyWebhook(raw, body, { ...ok, timestamp: String(timestamp + 1) }, nowMs)).toBe(
      false,
    );
    expect(verifyWebhook(raw, body, { ...ok, timestamp: undefined }, nowMs)).toBe(false);
    expect(verifyWebhook(raw, body, { ...ok, signature: 'AAAA' }, nowMs)).toBe(false);
    const other = rawPublicKeyBase64(generateKeyPairSync('ed25519').publicKey);
    expect(verifyWebhook(other, body, ok, nowMs)).toBe(false);
  });
});
