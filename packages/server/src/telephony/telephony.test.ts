import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dynamicRoomName, normalizeNumber } from './CallRouter.js';
import { hashRef, newCallRef, newConnectorId, newWebhookKey } from './ids.js';
import { RegionTable } from './RegionTable.js';
import { checkTelnyxSignature, parseTelnyxPublicKey } from './telnyxSignature.js';
import { escapeXml, noRoomTexml, streamTexml } from './texml.js';

describe('TeXML answers', () => {
  it('escape every value they carry', () => {
    expect(escapeXml(`a&b<c>d"e'f`)).toBe('a&amp;b&lt;c&gt;d&quot;e&apos;f');
    expect(streamTexml('wss://h/telnyx?ref=abc&x="1"')).toContain(
      '<Stream url="wss://h/telnyx?ref=abc&amp;x=&quot;1&quot;" track="both_tracks"',
    );
    expect(noRoomTexml('Tom & <Jerry>')).toContain('<Say>Tom &amp; &lt;Jerry&gt;</Say>');
  });
});

describe('ids', () => {
  it('are long, random and of the documented form', () => {
    expect(newConnectorId()).toMatch(/^cn_[a-z0-9]{16}$/);
    expect(newWebhookKey()).toMatch(/^whk_[A-Za-z0-9]{32}$/);
    const refs = new Set(Array.from({ length: 1000 }, () => newCallRef()));
    expect(refs.size).toBe(1000);
    expect(hashRef('x')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('RegionTable', () => {
  const table = new RegionTable({
    regions: { us002: 'wss://us.example/', in002: 'wss://in.example' },
    countryCodes: { '1': 'us002', '1242': 'in002', '91': 'in002', '44': 'eu001' },
    localIngestUrl: () => 'ws://local:8080',
  });

  it('prefers the pinned region, then the longest matching calling code, then this node', () => {
    expect(table.choose('in002', '+15550100')).toEqual({
      region: 'in002',
      baseUrl: 'wss://in.example',
    });
    expect(table.choose(null, '+1 (312) 555-0100')).toEqual({
      region: 'us002',
      baseUrl: 'wss://us.example',
    });
    expect(table.choose(null, '+12425550100').region).toBe('in002');
    // A code whose region has no URL, and a caller without a number, stay here.
    expect(table.choose(null, '+442071838750')).toEqual({
      region: null,
      baseUrl: 'ws://local:8080',
    });
    expect(table.choose(null, 'anonymous').baseUrl).toBe('ws://local:8080');
    // A pinned region without a URL (none configured when it was set) is served here.
    expect(table.choose('xx001', '+1')).toEqual({ region: 'xx001', baseUrl: 'ws://local:8080' });
  });

  it('accepts any region when none are configured', () => {
    const open = new RegionTable({ regions: {}, countryCodes: {}, localIngestUrl: () => 'ws://x' });
    expect(() => open.validate('anything', 'region')).not.toThrow();
    expect(() => table.validate('eu001', 'region')).toThrow(/configured regions: us002, in002/);
  });
});

describe('call routing helpers', () => {
  it('normalize called numbers for rule matching', () => {
    expect(normalizeNumber(' +1 (415) 555-0100 ')).toBe('+14155550100');
    expect(normalizeNumber('sip:+14155550100@sip.telnyx.com')).toBe('+14155550100');
    expect(normalizeNumber('tel:+14155550100;ext=1')).toBe('+14155550100');
    expect(normalizeNumber('anonymous')).toBe('anonymous');
  });

  it('name dynamic rooms by prefix without unsafe characters', () => {
    const call = { from: '+1 312 <script>', to: '+14155550100' };
    expect(dynamicRoomName('participantNumber', call)).toMatch(/^\+1312script-[a-z0-9]{8}$/);
    expect(dynamicRoomName('sipNumber', call)).toMatch(/^\+14155550100-[a-z0-9]{8}$/);
    expect(dynamicRoomName('participantNumber', { from: '', to: '' })).toMatch(/^unknown-/);
  });
});

describe('Telnyx signatures', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');
  const now = 1_790_000_000_000;
  const signed = (timestamp: string, body: string) =>
    sign(null, Buffer.from(`${timestamp}|${body}`), privateKey).toString('base64');

  it('read the key as base64 or PEM', () => {
    expect(parseTelnyxPublicKey(raw, 'k').base64).toBe(raw);
    const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(parseTelnyxPublicKey(pem, 'k').base64).toBe(raw);
    expect(() => parseTelnyxPublicKey('AAAA', 'k')).toThrow(/must be an Ed25519 public key/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    expect(() =>
      parseTelnyxPublicKey(rsa.export({ format: 'pem', type: 'spki' }).toString(), 'k'),
    ).toThrow(/Ed25519/);
  });

  it('pass within five minutes and fail outside them or on another body', () => {
    const { key } = parseTelnyxPublicKey(raw, 'k');
    const ts = String(now / 1000 - 299);
    expect(() => checkTelnyxSignature(key, signed(ts, 'a=1'), ts, 'a=1', now)).not.toThrow();
    expect(() => checkTelnyxSignature(key, signed(ts, 'a=1'), ts, 'a=2', now)).toThrow(
      /does not match/,
    );
    const old = String(now / 1000 - 301);
    expect(() => checkTelnyxSignature(key, signed(old, 'a=1'), old, 'a=1', now)).toThrow(
      /away from now/,
    );
    expect(() => checkTelnyxSignature(key, 'not base64!', ts, 'a=1', now)).toThrow(/match/);
    expect(() => checkTelnyxSignature(key, undefined, ts, 'a=1', now)).toThrow(
      /no telnyx-signature/,
    );
    expect(() => checkTelnyxSignature(key, 'x', 'soon', 'a=1', now)).toThrow(/telnyx-timestamp/);
  });
});
