import { generateKeyPairSync } from 'node:crypto';
import Telnyx from 'telnyx';
import { TelnyxWebhook, TelnyxWebhookVerificationError } from 'telnyx/lib/webhooks';
import { describe, expect, it } from 'vitest';
import { PhoneSimError } from './errors.js';
import { verifyWebhookSignature, WebhookSigner } from './WebhookSigner.js';

describe('WebhookSigner', () => {
  it("signs so that the official SDK's verifier accepts it", async () => {
    const signer = WebhookSigner.generate();
    const body = 'AccountSid=a&CallSid=v3%3Ax&From=%2B13125550100';
    const headers = { ...signer.sign(body) };
    await expect(
      new TelnyxWebhook(signer.publicKey).verify(body, headers),
    ).resolves.toBeUndefined();
    await expect(
      new TelnyxWebhook(signer.publicKey).verify(`${body}x`, headers),
    ).rejects.toBeInstanceOf(TelnyxWebhookVerificationError);
    // The client-level helper (which also parses JSON) takes the same key form.
    const json = JSON.stringify({ data: { event_type: 'call.initiated' } });
    const client = new Telnyx({ apiKey: 'KEY_TEST', publicKey: signer.publicKey });
    await expect(
      client.webhooks.unwrap(json, { headers: { ...signer.sign(json) } }),
    ).resolves.toEqual(JSON.parse(json));
  });

  it('verifies with the same rules', () => {
    const signer = WebhookSigner.generate();
    const headers = { ...signer.sign('x=1') };
    expect(verifyWebhookSignature('x=1', headers, signer.publicKey)).toBe(true);
    expect(verifyWebhookSignature('x=2', headers, signer.publicKey)).toBe(false);
    expect(verifyWebhookSignature('x=1', headers, WebhookSigner.generate().publicKey)).toBe(false);
    const old = { ...signer.sign('x=1', Math.floor(Date.now() / 1000) - 400) };
    expect(verifyWebhookSignature('x=1', old, signer.publicKey)).toBe(false);
    expect(verifyWebhookSignature('x=1', {}, signer.publicKey)).toBe(false);
  });

  it('reads keys as base64 seed, NaCl 64-byte, hex and PEM', () => {
    const signer = WebhookSigner.generate();
    const seed = Buffer.from(signer.privateKey, 'base64');
    const nacl = Buffer.concat([seed, Buffer.from(signer.publicKey, 'base64')]).toString('base64');
    const pem = generateKeyPairSync('ed25519')
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    expect(WebhookSigner.fromKey(signer.privateKey).publicKey).toBe(signer.publicKey);
    expect(WebhookSigner.fromKey(nacl).publicKey).toBe(signer.publicKey);
    expect(WebhookSigner.fromKey(seed.toString('hex')).publicKey).toBe(signer.publicKey);
    expect(WebhookSigner.fromKey(pem).publicKey).toHaveLength(44);
    expect(signer.publicKeyPem()).toContain('BEGIN PUBLIC KEY');
  });

  it('refuses other keys with a stable code', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    for (const bad of ['', 'not a key!', Buffer.alloc(16).toString('base64'), rsa]) {
      expect(() => WebhookSigner.fromKey(bad)).toThrow(PhoneSimError);
      try {
        WebhookSigner.fromKey(bad);
      } catch (error) {
        expect((error as PhoneSimError).code).toBe('invalid_signing_key');
      }
    }
  });
});
