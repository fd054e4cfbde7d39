import { verify } from 'node:crypto';
import { VideoSDK } from '@videosdk.live/server-sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/Store.js';
import { CallWebhookSigningKey } from '../../src/telephony/CallWebhookSigningKey.js';
import { OutboxCallWebhookNotifier } from '../../src/telephony/OutboxCallWebhookNotifier.js';
import { SipWebhookService } from '../../src/telephony/SipWebhookService.js';
import type { Call, CallWebhookType } from '../../src/telephony/types.js';
import { DIALECTS, openTestStore } from '../support/testServer.js';
import type { TelephonyTestServer } from './support.js';
import {
  CallWebhookReceiver,
  hookUrl,
  postVoiceWebhook,
  refOf,
  startTelephonyServer,
  voiceFields,
} from './support.js';

// Call webhooks: VideoSDK's envelope, signed with videosdk-signature (RSA-SHA256 over the raw
// body), verified here with VideoSDK's own SDK and the key Palaver publishes.

describe.each(DIALECTS)('call webhooks from a running server on %s', (dialect) => {
  let t: TelephonyTestServer;
  let receiver: CallWebhookReceiver;
  let url: string;
  let publicKey: string;

  beforeAll(async () => {
    t = await startTelephonyServer(dialect);
    receiver = await CallWebhookReceiver.start();
    await t.api('POST', '/v2/rooms', { unique_name: 'hooked' });
    const connector = await t.api('POST', '/v2/connectors', {
      provider: 'telnyx',
      defaultRoomId: 'hooked',
    });
    url = hookUrl(t, connector.body.data.webhookUrl);
    const key = await fetch(`${t.url}/v2/public/rsa-public-key`);
    expect(key.status).toBe(200);
    publicKey = ((await key.json()) as { publicKey: string }).publicKey;
    expect(publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  it('sends call-started, call-answered and call-hangup in order, each verifiable', async () => {
    const subscription = await t.api('POST', '/v2/sip/webhooks', {
      url: receiver.url('/all'),
      events: ['call-started', 'call-answered', 'call-hangup', 'call-missed'],
    });
    expect(subscription.status).toBe(201);
    expect(subscription.body).toEqual({
      id: expect.stringMatching(/^wh_[a-z0-9]{16}$/),
      url: receiver.url('/all'),
      events: ['call-started', 'call-answered', 'call-hangup', 'call-missed'],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });

    const calls = t.server.telephony.calls;
    const res = await postVoiceWebhook(url, voiceFields('+13125550100', '+13125550199'));
    const call = await calls.claimCall(refOf(res.body));
    await calls.markAnswered(call.id, { sessionId: 's1', participantId: 'p1' });
    await calls.markEnded(call.id, 'caller-hangup');

    const received = (await receiver.waitFor(3)).filter((r) => r.path === '/all');
    const sdk = new VideoSDK({ apiEndpoint: t.url, token: t.apiKey });
    const events = received.map((r) => {
      expect(r.headers['content-type']).toBe('application/json');
      const signature = r.headers['videosdk-signature'] as string;
      expect(
        verify('RSA-SHA256', Buffer.from(r.body), publicKey, Buffer.from(signature, 'base64')),
      ).toBe(true);
      return sdk.webhooks.verifySync(r.body, signature, publicKey);
    });
    expect(events.map((e) => e.webhookType)).toEqual([
      'call-started',
      'call-answered',
      'call-hangup',
    ]);
    expect(new Set(events.map((e) => e.id)).size).toBe(3);
    expect(events[0]?.data).toMatchObject({
      id: call.id,
      status: 'incoming',
      roomId: call.roomId,
      from: '+13125550100',
      to: '+13125550199',
    });
    expect(events[1]?.data).toMatchObject({ status: 'answered', sessionId: 's1' });
    expect(events[2]?.data).toMatchObject({
      status: 'ended',
      hangupReason: 'caller-hangup',
      duration: expect.any(Number),
    });
    // A body changed in transit does not verify.
    const first = received[0];
    expect(() =>
      sdk.webhooks.verifySync(
        first?.body.replace('+13125550100', '+19999999999') ?? '',
        first?.headers['videosdk-signature'] as string,
        publicKey,
      ),
    ).toThrow(/invalid/);

    await t.api('DELETE', `/v2/sip/webhooks/${subscription.body.id}`);
  });

  it('sends call-missed for a call with no room, only to subscriptions asking for it', async () => {
    receiver.received.length = 0;
    await t.api('POST', '/v2/sip/webhooks', {
      url: receiver.url('/missed'),
      events: ['call-missed'],
    });
    await t.api('POST', '/v2/sip/webhooks', {
      url: receiver.url('/started'),
      events: ['call-started'],
    });
    const bare = await t.api('POST', '/v2/connectors', { provider: 'telnyx' });
    await postVoiceWebhook(hookUrl(t, bare.body.data.webhookUrl), voiceFields('+1312', '+1313'));
    const [only] = await receiver.waitFor(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.received).toHaveLength(1);
    expect(only?.path).toBe('/missed');
    expect(JSON.parse(only?.body ?? '{}')).toMatchObject({
      webhookType: 'call-missed',
      data: { status: 'missed', hangupReason: 'no-room' },
    });
  });

  it('manages subscriptions and refuses bad ones with 400', async () => {
    const created = await t.api('POST', '/v2/sip/webhooks', {
      url: 'https://example.com/a',
      events: ['call-hangup'],
    });
    const id = created.body.id;
    const updated = await t.api('PATCH', `/v2/sip/webhooks/${id}`, { events: ['call-started'] });
    expect(updated.body).toMatchObject({ url: 'https://example.com/a', events: ['call-started'] });
    expect((await t.api('GET', `/v2/sip/webhooks/${id}`)).body).toEqual(updated.body);
    const listed = await t.api('GET', '/v2/sip/webhooks?search=example.com');
    expect(listed.body.data.map((w: any) => w.id)).toEqual([id]);
    expect((await t.api('DELETE', `/v2/sip/webhooks/${id}`)).body).toEqual({
      message: 'Webhook deleted successfully',
    });
    expect((await t.api('GET', `/v2/sip/webhooks/${id}`)).status).toBe(404);

    for (const [body, message] of [
      [{ url: 'ftp://x', events: ['call-started'] }, /not an http/],
      [{ url: 'https://x', events: [] }, /at least one/],
      [{ url: 'https://x', events: ['call-exploded'] }, /events\[0\] "call-exploded" is not/],
      [{ events: ['call-started'] }, /url is required/],
    ] as const) {
      const res = await t.api('POST', '/v2/sip/webhooks', body);
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(message);
    }
  });
});

describe.each(DIALECTS)('call webhook delivery on %s', (dialect) => {
  let store: Store;
  let closeStore: () => Promise<void>;
  let receiver: CallWebhookReceiver;
  let notifier: OutboxCallWebhookNotifier | undefined;
  let signingKey: CallWebhookSigningKey;
  let sequence = 0;

  function call(id: string, status: Call['status']): Call {
    return {
      id,
      connectorId: 'cn_test',
      ruleId: null,
      roomId: 'room',
      sessionId: null,
      participantId: null,
      direction: 'inbound',
      provider: 'telnyx',
      from: '+13125550100',
      to: '+13125550199',
      callerName: null,
      hidePhoneNumber: false,
      agentId: null,
      agentMetadata: null,
      region: null,
      status,
      hangupReason: null,
      startedAt: new Date().toISOString(),
      claimExpiresAt: null,
      claimedAt: null,
      answeredAt: null,
      endedAt: null,
      durationMs: null,
      providerCallId: null,
      providerAccountId: null,
      providerConnectionId: null,
      updatedAt: new Date().toISOString(),
    };
  }

  async function enqueue(type: CallWebhookType, callId: string, status: Call['status']) {
    await notifier?.enqueue({
      id: `evt_${++sequence}`,
      type,
      occurredAt: new Date().toISOString(),
      call: call(callId, status),
    });
  }

  beforeAll(async () => {
    const opened = await openTestStore(dialect);
    store = opened.store;
    closeStore = () => opened.close();
    signingKey = await CallWebhookSigningKey.load(store);
    receiver = await CallWebhookReceiver.start();
  });
  afterEach(async () => {
    await notifier?.close();
    receiver.received.length = 0;
    receiver.answer = () => 200;
  });
  afterAll(async () => {
    await receiver.close();
    await closeStore();
  });

  it('keeps one key across loads, as nodes sharing a store must', async () => {
    const again = await CallWebhookSigningKey.load(store);
    expect(again.publicKeyPem).toBe(signingKey.publicKeyPem);
  });

  it('retries with backoff until the receiver takes it, keeping a call in order', async () => {
    const subscriptions = new SipWebhookService({ store });
    await subscriptions.create({
      url: receiver.url('/retry'),
      events: ['call-started', 'call-answered', 'call-hangup'],
    });
    let failures = 2;
    receiver.answer = (r) => (r.body.includes('call-started') && failures-- > 0 ? 503 : 200);
    notifier = new OutboxCallWebhookNotifier({
      store,
      signingKey,
      backoff: () => 50,
      pollIntervalMs: 50,
    });
    const outcomes: string[] = [];
    notifier.on('failed', (o) => outcomes.push(`failed ${o.eventType} #${o.attempt}`));
    notifier.on('delivered', (o) => outcomes.push(`delivered ${o.eventType} #${o.attempt}`));
    notifier.start();
    await enqueue('call-started', 'call_a', 'incoming');
    await enqueue('call-answered', 'call_a', 'answered');
    await enqueue('call-hangup', 'call_a', 'ended');
    await receiver.waitFor(5);
    await new Promise((r) => setTimeout(r, 100));
    expect(outcomes).toEqual([
      'failed call-started #1',
      'failed call-started #2',
      'delivered call-started #3',
      'delivered call-answered #1',
      'delivered call-hangup #1',
    ]);
    const bodies = receiver.received.map((r) => JSON.parse(r.body).webhookType);
    expect(bodies).toEqual([
      'call-started',
      'call-started',
      'call-started',
      'call-answered',
      'call-hangup',
    ]);
    // Every attempt carries the same body and a valid signature.
    const started = receiver.received.slice(0, 3);
    expect(new Set(started.map((r) => r.body)).size).toBe(1);
    for (const r of receiver.received) {
      expect(
        verify(
          'RSA-SHA256',
          Buffer.from(r.body),
          signingKey.publicKeyPem,
          Buffer.from(r.headers['videosdk-signature'] as string, 'base64'),
        ),
      ).toBe(true);
    }
    await subscriptions.delete(
      (await subscriptions.list(undefined, { number: 1, size: 10 })).items[0]?.id ?? '',
    );
  });

  it('delivers what was queued before a restart, and gives up on deleted subscriptions', async () => {
    const subscriptions = new SipWebhookService({ store });
    const kept = await subscriptions.create({
      url: receiver.url('/kept'),
      events: ['call-hangup'],
    });
    const dropped = await subscriptions.create({
      url: receiver.url('/dropped'),
      events: ['call-hangup'],
    });
    // Queued while no worker runs (as if the node stopped right after).
    notifier = new OutboxCallWebhookNotifier({ store, signingKey, pollIntervalMs: 50 });
    await enqueue('call-hangup', 'call_b', 'ended');
    await notifier.close();
    await subscriptions.delete(dropped.id);

    notifier = new OutboxCallWebhookNotifier({ store, signingKey, pollIntervalMs: 50 });
    const gaveUp: string[] = [];
    notifier.on('gaveUp', (o) => gaveUp.push(o.webhookId));
    notifier.start();
    const [delivered] = await receiver.waitFor(1);
    expect(delivered?.path).toBe('/kept');
    await new Promise((r) => setTimeout(r, 200));
    expect(gaveUp).toEqual([dropped.id]);
    expect(receiver.received).toHaveLength(1);
    await subscriptions.delete(kept.id);
  });
});
