import {
  AuthenticationError,
  RoomNotFoundError,
  ValidationError,
  VideoSDK,
} from '@videosdk.live/server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/testServer.js';
import type { TelephonyTestServer } from './support.js';
import {
  CallWebhookReceiver,
  hookUrl,
  postVoiceWebhook,
  refOf,
  startTelephonyServer,
  voiceFields,
} from './support.js';

// VideoSDK's own server SDK, unmodified, pointed at Palaver by apiEndpoint and given a Palaver API
// key as its token (it sends it bare in Authorization).

describe.each(DIALECTS)('the @videosdk.live/server-sdk client against Palaver on %s', (dialect) => {
  let t: TelephonyTestServer;
  let sdk: VideoSDK;
  let roomId: string;

  beforeAll(async () => {
    t = await startTelephonyServer(dialect);
    sdk = new VideoSDK({ apiEndpoint: t.url, token: t.apiKey, maxRetries: 0 });
    roomId = (await t.api('POST', '/v2/rooms', { unique_name: 'sdk-room' })).body.data.id;
  });
  afterAll(async () => t.close());

  it('creates, lists, gets, rotates and deletes connectors', async () => {
    const connector = await sdk.connectors.create({
      provider: 'telnyx',
      name: 'From the SDK',
      roomId: 'sdk-room',
      region: 'us002',
    });
    expect(connector).toMatchObject({
      id: expect.stringMatching(/^cn_/),
      provider: 'telnyx',
      name: 'From the SDK',
      defaultRoomId: 'sdk-room',
      region: 'us002',
      webhookUrl: expect.stringMatching(/\/v2\/hooks\/telnyx\/whk_/),
    });

    const page = await sdk.connectors.list();
    expect(page.data.map((c) => c.id)).toContain(connector.id);
    expect(await sdk.connectors.get(connector.id)).toEqual(connector);

    const rotated = await sdk.connectors.rotateKey(connector.id);
    expect(rotated.id).toBe(connector.id);
    expect(rotated.webhookUrl).not.toBe(connector.webhookUrl);

    expect(await sdk.connectors.delete(connector.id)).toEqual({
      message: 'Connector deleted successfully',
    });
    await expect(sdk.connectors.get(connector.id)).rejects.toBeInstanceOf(RoomNotFoundError);
  });

  it("surfaces Palaver's refusals as the SDK's typed errors with Palaver's message", async () => {
    const invalid = await sdk.connectors
      .create({ provider: 'twilio' })
      .catch((error: unknown) => error);
    expect(invalid).toBeInstanceOf(ValidationError);
    expect(invalid).toMatchObject({
      httpStatus: 400,
      code: 'invalid_parameter',
      message: 'provider "twilio" is not supported; supported providers: telnyx',
    });

    const stranger = new VideoSDK({ apiEndpoint: t.url, token: 'pvk_unknown', maxRetries: 0 });
    const unauthorized = await stranger.connectors.list().catch((error: unknown) => error);
    expect(unauthorized).toBeInstanceOf(AuthenticationError);
    expect((unauthorized as Error).message).toBe('the API key is unknown or revoked');
  });

  it("drives routing rules, with the SDK's direct and individual targets", async () => {
    const direct = await sdk.sip.routingRules.create({
      name: 'Direct',
      type: 'inbound',
      phoneNumbers: ['+14155550900'],
      rule: { type: 'direct', roomId },
      hidePhoneNumber: true,
      tags: ['sdk'],
    });
    expect(direct).toMatchObject({
      id: expect.stringMatching(/^rule_/),
      numbers: ['+14155550900'],
      room: { type: 'static', id: roomId },
      hidePhoneNumber: true,
    });
    const individual = await sdk.sip.routingRules.create({
      name: 'Individual',
      type: 'inbound',
      phoneNumbers: ['+14155550901'],
      rule: { type: 'individual', roomPrefix: 'participantNumber' },
      agentId: 'agent-1',
      agentMetadata: { language: 'en' },
    });
    expect(individual.room).toEqual({ type: 'dynamic', prefix: 'participantNumber' });

    const page = await sdk.sip.routingRules.list({ perPage: 1 });
    expect(page.total).toBe(2);
    expect(page.data).toHaveLength(1);
    expect(page.hasNextPage).toBe(true);
    const all: string[] = [];
    for await (const rule of page) {
      all.push(rule.id);
    }
    expect(all.sort()).toEqual([direct.id, individual.id].sort());

    const onlyStatic = await sdk.sip.routingRules.list({ roomType: ['static'] });
    expect(onlyStatic.data.map((r) => r.id)).toEqual([direct.id]);

    expect(await sdk.sip.routingRules.get(direct.id)).toEqual(direct);
    const updated = await sdk.sip.routingRules.update(direct.id, {
      name: 'Direct, renamed',
      rule: { type: 'individual' },
    });
    expect(updated).toMatchObject({
      name: 'Direct, renamed',
      room: { type: 'dynamic', prefix: 'blank' },
      numbers: ['+14155550900'],
    });

    const clash = await sdk.sip.routingRules
      .create({ name: 'Clash', type: 'inbound', phoneNumbers: ['+14155550901'] })
      .catch((error: unknown) => error);
    expect(clash).toBeInstanceOf(ValidationError);

    expect(await sdk.sip.routingRules.delete(individual.id)).toEqual({
      message: 'Routing rule deleted successfully',
    });
    await sdk.sip.routingRules.delete(direct.id);
  });

  it('manages SIP webhooks and verifies the call webhooks Palaver sends', async () => {
    const receiver = await CallWebhookReceiver.start();
    try {
      const webhook = await sdk.sip.webhooks.create({
        url: receiver.url('/sdk'),
        events: ['call-started', 'call-hangup'],
      });
      expect(webhook).toMatchObject({
        id: expect.stringMatching(/^wh_/),
        url: receiver.url('/sdk'),
      });
      const page = await sdk.sip.webhooks.list();
      expect(page.data.map((w) => w.id)).toEqual([webhook.id]);
      expect(await sdk.sip.webhooks.get(webhook.id)).toEqual(webhook);
      const updated = await sdk.sip.webhooks.update(webhook.id, {
        url: receiver.url('/sdk'),
        events: ['call-started', 'call-answered', 'call-hangup'],
      });
      expect(updated.events).toEqual(['call-started', 'call-answered', 'call-hangup']);

      // A call: the voice webhook, the bridge's claim and answer, then an end through the SDK.
      const connector = await sdk.connectors.create({ provider: 'telnyx', roomId });
      const res = await postVoiceWebhook(
        hookUrl(t, connector.webhookUrl ?? ''),
        voiceFields('+13125550100', '+13125550199'),
      );
      const calls = t.server.telephony.calls;
      const claimed = await calls.claimCall(refOf(res.body));
      await calls.markAnswered(claimed.id);

      const listed = await sdk.sip.calls.list({ roomId });
      expect(listed.data.map((c) => c.id)).toEqual([claimed.id]);
      expect(listed.data[0]).toMatchObject({ status: 'answered', from: '+13125550100' });
      const got = await sdk.sip.calls.get(claimed.id);
      expect(got).toMatchObject({ id: claimed.id, roomId, status: 'answered', type: 'inbound' });
      const ended = await sdk.sip.calls.end(claimed.id);
      expect(ended).toMatchObject({ id: claimed.id, status: 'ended', hangupReason: 'api-request' });
      await expect(sdk.sip.calls.get('call_missing')).rejects.toBeInstanceOf(RoomNotFoundError);

      const received = await receiver.waitFor(3);
      const publicKey = await sdk.webhooks.getPublicKey();
      const events = received.map((r) =>
        sdk.webhooks.verifySync(r.body, r.headers['videosdk-signature'], publicKey),
      );
      expect(events.map((e) => e.webhookType)).toEqual([
        'call-started',
        'call-answered',
        'call-hangup',
      ]);
      expect(events[2]?.data).toMatchObject({ id: claimed.id, status: 'ended' });
      // The async verifier fetches the same key from Palaver itself.
      const verified = await sdk.webhooks.verify(
        received[0]?.body ?? '',
        received[0]?.headers['videosdk-signature'],
      );
      expect(verified.webhookType).toBe('call-started');

      expect(await sdk.sip.webhooks.delete(webhook.id)).toEqual({
        message: 'Webhook deleted successfully',
      });
    } finally {
      await receiver.close();
    }
  });
});
