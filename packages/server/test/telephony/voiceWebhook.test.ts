import { WebhookSigner, parseTexml, sendWebhook, voiceWebhookFields } from '@palaver/phone-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/testServer.js';
import type { TelephonyTestServer } from './support.js';
import { hookUrl, postVoiceWebhook, refOf, startTelephonyServer, voiceFields } from './support.js';

// The connector's TeXML voice webhook as Telnyx (here: phone-sim or a bare fetch) calls it.

describe.each(DIALECTS)('the TeXML voice webhook on %s', (dialect) => {
  let t: TelephonyTestServer;
  let url: string;
  let connectorId: string;
  let roomId: string;

  beforeAll(async () => {
    t = await startTelephonyServer(dialect);
    roomId = (await t.api('POST', '/v2/rooms', { unique_name: 'front-desk' })).body.data.id;
    const connector = (
      await t.api('POST', '/v2/connectors', { provider: 'telnyx', defaultRoomId: 'front-desk' })
    ).body.data;
    connectorId = connector.id;
    url = hookUrl(t, connector.webhookUrl);
  });
  afterAll(async () => t.close());

  it("answers a form POST with exactly the guide's TeXML and records the call", async () => {
    const fields = voiceFields('+13125550100', '+13125550199', { CallerId: 'Ada' });
    const res = await postVoiceWebhook(url, fields);
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/xml/);
    const ref = refOf(res.body);
    expect(ref).toMatch(/^[A-Za-z0-9]{32}$/);
    const port = new URL(t.url).port;
    expect(res.body).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<Response>',
        '<Start>',
        `<Stream url="ws://127.0.0.1:${port}/telnyx?ref=${ref}" track="both_tracks" bidirectionalMode="rtp" bidirectionalCodec="PCMU" />`,
        '</Start>',
        '<Pause length="86400" />',
        '</Response>',
        '',
      ].join('\n'),
    );
    const document = parseTexml(res.body);
    expect(document.warnings).toEqual([]);
    expect(document.verbs.map((v) => v.verb)).toEqual(['Start', 'Pause']);

    const listed = await t.api('GET', `/v2/sip/call?roomId=${roomId}&status=incoming`);
    const call = listed.body.data.find((c: any) => c.telnyx.callSid === fields.CallSid);
    expect(call).toMatchObject({
      type: 'inbound',
      provider: 'telnyx',
      connectorId,
      roomId,
      from: '+13125550100',
      to: '+13125550199',
      callerName: 'Ada',
      status: 'incoming',
      region: null,
      end: null,
      duration: null,
      telnyx: {
        callSid: fields.CallSid,
        accountSid: fields.AccountSid,
        connectionId: fields.ConnectionId,
      },
    });
  });

  it('answers a GET with the parameters in the query string, as phone-sim sends it', async () => {
    const exchange = await sendWebhook({
      url,
      method: 'GET',
      fields: voiceWebhookFields(
        {
          accountSid: 'acct',
          callSid: 'v3:get-call',
          callSessionId: 'session',
          from: '+442071838750',
          to: '+13125550199',
          connectionId: 'conn',
        },
        'ringing',
      ),
    });
    expect(exchange.status).toBe(200);
    const document = parseTexml(exchange.responseBody);
    const start = document.verbs[0];
    expect(start?.verb === 'Start' && start.stream?.url).toMatch(/\/telnyx\?ref=[A-Za-z0-9]{32}$/);
  });

  it('gives every call its own unguessable ref', async () => {
    const refs = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const res = await postVoiceWebhook(url, voiceFields('+13125550100', '+13125550199'));
      refs.add(refOf(res.body));
    }
    expect(refs.size).toBe(5);
  });

  it('answers 404 without TeXML for an unknown key or a path that is no key', async () => {
    for (const path of [
      '/v2/hooks/telnyx/whk_unknownunknownunknownunknown12',
      '/v2/hooks/telnyx/x',
      `/v2/hooks/telnyx/whk_${'a'.repeat(90)}`,
    ]) {
      const res = await postVoiceWebhook(`${t.url}${path}`, voiceFields('+1312', '+1313'));
      expect(res.status).toBe(404);
      expect(res.body).not.toContain('<Response');
    }
  });

  it.each([
    ['no From', (f: Record<string, string>) => delete f.From, 400, /no From parameter/],
    ['no To', (f: Record<string, string>) => delete f.To, 400, /no To parameter/],
    ['an empty To', (f: Record<string, string>) => (f.To = ' '), 400, /no To parameter/],
    [
      'control characters',
      (f: Record<string, string>) => (f.From = '+1\u0000312'),
      400,
      /control characters/,
    ],
    [
      'a 300-character From',
      (f: Record<string, string>) => (f.From = '1'.repeat(300)),
      400,
      /longer than 256/,
    ],
  ])(
    'refuses a webhook with %s: a clear 4xx and one log line',
    async (_what, spoil, status, message) => {
      const fields: Record<string, string> = voiceFields('+13125550100', '+13125550199');
      spoil(fields);
      const before = t.logs.length;
      const res = await postVoiceWebhook(url, fields);
      expect(res.status).toBe(status);
      const body = JSON.parse(res.body);
      expect(body.message).toMatch(message);
      await new Promise((r) => setTimeout(r, 50));
      const lines = t.logs.slice(before).filter((l) => l.url?.includes('/hooks/'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ msg: 'request refused', status });
      expect(lines[0]?.url).toMatch(/\/v2\/hooks\/telnyx\/whk_…$/);
    },
  );

  it('refuses garbage, JSON and huge bodies without falling over', async () => {
    const garbage = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from([0xff, 0xfe, 0x00, 0x25, 0x26, 0x3d, 0x3d, 0x80]),
    });
    expect(garbage.status).toBe(400);

    const json = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ From: '+1312', To: '+1313' }),
    });
    expect(json.status).toBe(415);
    expect((await json.json()).message).toMatch(/form-encoded/);

    const huge = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `From=%2B1312&To=%2B1313&Junk=${'x'.repeat(200_000)}`,
    });
    expect(huge.status).toBe(413);

    const nested = await fetch(`${url}?From[a]=1&To[]=2`);
    expect(nested.status).toBe(400);

    const empty = await fetch(url, { method: 'POST' });
    expect(empty.status).toBe(400);

    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    // The secret key never reaches the log.
    const key = new URL(url).pathname.split('/').pop() ?? '';
    expect(JSON.stringify(t.logs)).not.toContain(key);
  });

  it('ends a waiting call when Telnyx reports it completed', async () => {
    const fields = voiceFields('+13125550100', '+13125550199');
    expect((await postVoiceWebhook(url, fields)).status).toBe(200);
    const res = await postVoiceWebhook(url, {
      ...fields,
      CallStatus: 'completed',
      CallbackSource: 'call-progress-events',
      HangupCause: 'originator_cancel',
    });
    expect(res.status).toBe(200);
    expect(res.body).toContain('<Response />');
    const listed = await t.api('GET', `/v2/sip/call?search=%2B13125550100&status=missed`);
    const call = listed.body.data.find((c: any) => c.telnyx.callSid === fields.CallSid);
    expect(call).toMatchObject({ status: 'missed', hangupReason: 'originator_cancel' });
    // A status callback needs no From or To, and one for an unknown call changes nothing.
    const bare = await postVoiceWebhook(url, { CallSid: 'v3:unknown', CallStatus: 'completed' });
    expect(bare.status).toBe(200);
    expect(bare.body).toContain('<Response />');
  });
});

describe.each(DIALECTS)('Telnyx webhook signatures on %s', (dialect) => {
  let t: TelephonyTestServer;
  let url: string;
  const signer = WebhookSigner.generate();
  const fields = voiceWebhookFields(
    {
      accountSid: 'acct',
      callSid: 'v3:signed',
      callSessionId: 'session',
      from: '+13125550100',
      to: '+13125550199',
      connectionId: 'conn',
    },
    'ringing',
  );

  beforeAll(async () => {
    t = await startTelephonyServer(dialect);
    await t.api('POST', '/v2/rooms', { unique_name: 'signed-room' });
    const connector = (
      await t.api('POST', '/v2/connectors', {
        provider: 'telnyx',
        defaultRoomId: 'signed-room',
        telnyxPublicKey: signer.publicKey,
      })
    ).body.data;
    expect(connector.telnyxPublicKey).toBe(signer.publicKey);
    url = hookUrl(t, connector.webhookUrl);
  });
  afterAll(async () => t.close());

  it('accepts signed POSTs and GETs', async () => {
    const post = await sendWebhook({ url, method: 'POST', fields, signer });
    expect(post.status).toBe(200);
    const get = await sendWebhook({ url, method: 'GET', fields, signer });
    expect(get.status).toBe(200);
  });

  it('refuses a missing, wrong or stale signature with 403 and no TeXML', async () => {
    const unsigned = await sendWebhook({ url, method: 'POST', fields });
    expect(unsigned.status).toBe(403);
    expect(unsigned.responseBody).not.toContain('<Response');
    expect(JSON.parse(unsigned.responseBody).message).toMatch(/no telnyx-signature-ed25519/);

    const other = await sendWebhook({
      url,
      method: 'POST',
      fields,
      signer: WebhookSigner.generate(),
    });
    expect(other.status).toBe(403);

    // Signed, then the body changed on the way.
    const body = new URLSearchParams(fields).toString();
    const headers = signer.sign(body);
    const tampered = await postVoiceWebhook(url, { ...fields, To: '+19995550000' }, { ...headers });
    expect(tampered.status).toBe(403);
    expect(JSON.parse(tampered.body).message).toMatch(/does not match/);

    const stale = signer.sign(body, Math.floor(Date.now() / 1000) - 600);
    const old = await postVoiceWebhook(url, fields, { ...stale });
    expect(old.status).toBe(403);
    expect(JSON.parse(old.body).message).toMatch(/away from now/);
  });
});
