import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/testServer.js';
import type { TelephonyTestServer } from './support.js';
import { hookUrl, postVoiceWebhook, startTelephonyServer, voiceFields } from './support.js';

const run = promisify(execFile);

// The connector guide's curl lines, as written there; only the host differs.
const SEED_CREATE = `curl -X POST https://api.videosdk.live/v2/connectors \\
-H "Authorization: Bearer $VIDEOSDK_TOKEN" \\
-H "Content-Type: application/json" \\
-d '{
"provider": "telnyx",
"name": "Main Telnyx Connector",
"defaultRoomId": "abcd-efgh-ijkl",
"region": "us002"
}'`;
const SEED_LIST = `curl https://api.videosdk.live/v2/connectors \\
-H "Authorization: Bearer $VIDEOSDK_TOKEN"`;
const SEED_GET = `curl https://api.videosdk.live/v2/connectors/cn_c9t4k2m8x1p5r3v7 \\
-H "Authorization: Bearer $VIDEOSDK_TOKEN"`;
const SEED_ROTATE = `curl -X POST https://api.videosdk.live/v2/connectors/cn_c9t4k2m8x1p5r3v7/rotate-key \\
-H "Authorization: Bearer $VIDEOSDK_TOKEN"`;
const SEED_DELETE = `curl -X DELETE https://api.videosdk.live/v2/connectors/cn_c9t4k2m8x1p5r3v7 \\
-H "Authorization: Bearer $VIDEOSDK_TOKEN"`;

describe.each(DIALECTS)('connectors on %s', (dialect) => {
  let t: TelephonyTestServer;

  /** Runs a guide line through bash with the host (and the example connector id) replaced. */
  async function curl(line: string, connectorId = 'cn_c9t4k2m8x1p5r3v7'): Promise<any> {
    const command = line
      .replaceAll('https://api.videosdk.live', t.url)
      .replaceAll('cn_c9t4k2m8x1p5r3v7', connectorId);
    const { stdout } = await run('bash', ['-c', `${command} --silent --show-error`], {
      env: { ...process.env, VIDEOSDK_TOKEN: t.apiKey },
    });
    return stdout === '' ? undefined : JSON.parse(stdout);
  }

  beforeAll(async () => {
    t = await startTelephonyServer(dialect);
  });
  afterAll(async () => t.close());

  it("runs the guide's curl lines: create, list, get, rotate, delete", async () => {
    const room = await t.api('POST', '/v2/rooms', { unique_name: 'abcd-efgh-ijkl' });
    expect(room.status).toBe(201);

    const created = await curl(SEED_CREATE);
    expect(created).toEqual({
      message: 'Connector created successfully',
      data: {
        id: expect.stringMatching(/^cn_[a-z0-9]{16}$/),
        provider: 'telnyx',
        name: 'Main Telnyx Connector',
        webhookUrl: expect.stringMatching(
          new RegExp(`^${t.url}/v2/hooks/telnyx/whk_[A-Za-z0-9]{32}$`),
        ),
        defaultRoomId: 'abcd-efgh-ijkl',
        defaultRuleId: null,
        region: 'us002',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        updatedAt: expect.any(String),
        telnyxPublicKey: null,
        hasTelnyxApiKey: false,
      },
    });
    const connector = created.data;

    const listed = await curl(SEED_LIST);
    expect(listed.data.map((c: any) => c.id)).toContain(connector.id);

    const got = await curl(SEED_GET, connector.id);
    expect(got.data).toEqual(connector);

    // The URL works before rotation…
    const before = await postVoiceWebhook(
      hookUrl(t, connector.webhookUrl),
      voiceFields('+13125550100', '+13125550199'),
    );
    expect(before.status).toBe(200);
    expect(before.body).toContain('<Stream url=');

    const rotated = await curl(SEED_ROTATE, connector.id);
    expect(rotated.message).toBe('Webhook key rotated successfully');
    expect(rotated.data.id).toBe(connector.id);
    expect(rotated.data.webhookUrl).not.toBe(connector.webhookUrl);

    // …and is dead right after it: 404 and no TeXML, while the new one works.
    const old = await postVoiceWebhook(
      hookUrl(t, connector.webhookUrl),
      voiceFields('+13125550100', '+13125550199'),
    );
    expect(old.status).toBe(404);
    expect(old.body).not.toContain('<Response');
    expect(JSON.parse(old.body).message).toMatch(/no connector has this webhook key/);
    const fresh = await postVoiceWebhook(
      hookUrl(t, rotated.data.webhookUrl),
      voiceFields('+13125550100', '+13125550199'),
    );
    expect(fresh.status).toBe(200);

    const deleted = await curl(SEED_DELETE, connector.id);
    expect(deleted).toEqual({ message: 'Connector deleted successfully' });
    const gone = await postVoiceWebhook(
      hookUrl(t, rotated.data.webhookUrl),
      voiceFields('+13125550100', '+13125550199'),
    );
    expect(gone.status).toBe(404);
    const missing = await t.api('GET', `/v2/connectors/${connector.id}`);
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe(`connector not found [id:${connector.id}]`);
  });

  it('refuses other providers with 400, naming the supported one', async () => {
    const res = await t.api('POST', '/v2/connectors', { provider: 'twilio' });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe(
      'provider "twilio" is not supported; supported providers: telnyx',
    );
    expect(res.body.code).toBe('invalid_parameter');
    expect(res.body.errors[0].source).toEqual({ pointer: '/provider' });

    const missing = await t.api('POST', '/v2/connectors', { name: 'x' });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toBe('provider is required');
  });

  it('checks the room, rule, region and Telnyx key it is given', async () => {
    const unknownRoom = await t.api('POST', '/v2/connectors', {
      provider: 'telnyx',
      defaultRoomId: 'no-such-room',
    });
    expect(unknownRoom.status).toBe(400);
    expect(unknownRoom.body.message).toMatch(/defaultRoomId "no-such-room" is neither the id/);

    const unknownRule = await t.api('POST', '/v2/connectors', {
      provider: 'telnyx',
      defaultRuleId: 'rule_nope',
    });
    expect(unknownRule.status).toBe(400);
    expect(unknownRule.body.message).toMatch(/defaultRuleId "rule_nope" is not a routing rule/);

    const badRegion = await t.api('POST', '/v2/connectors', {
      provider: 'telnyx',
      region: 'us 002',
    });
    expect(badRegion.status).toBe(400);

    const badKey = await t.api('POST', '/v2/connectors', {
      provider: 'telnyx',
      telnyxPublicKey: 'not a key',
    });
    expect(badKey.status).toBe(400);
    expect(badKey.body.message).toMatch(/telnyxPublicKey must be an Ed25519 public key/);

    const unknownField = await t.api('POST', '/v2/connectors', {
      provider: 'telnyx',
      colour: 'red',
    });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.message).toBe('colour is not a known field');
  });

  it('takes a room id as well as a unique_name, and changes settings with PATCH', async () => {
    const room = (await t.api('POST', '/v2/rooms', { unique_name: 'by-id' })).body.data;
    const created = await t.api('POST', '/v2/connectors', {
      provider: 'telnyx',
      defaultRoomId: room.id,
      telnyxApiKey: 'KEY0123',
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({
      defaultRoomId: room.id,
      name: null,
      region: null,
      hasTelnyxApiKey: true,
    });
    expect(JSON.stringify(created.body)).not.toContain('KEY0123');

    const patched = await t.api('PATCH', `/v2/connectors/${created.body.data.id}`, {
      name: 'Renamed',
      defaultRoomId: null,
    });
    expect(patched.status).toBe(200);
    expect(patched.body.data).toMatchObject({
      name: 'Renamed',
      defaultRoomId: null,
      webhookUrl: created.body.data.webhookUrl,
    });
  });

  it('accepts the API key with or without "Bearer", and answers 401 without one', async () => {
    const bare = await fetch(`${t.url}/v2/connectors`, { headers: { authorization: t.apiKey } });
    expect(bare.status).toBe(200);
    const none = await fetch(`${t.url}/v2/connectors`);
    expect(none.status).toBe(401);
    const body = await none.json();
    expect(body.message).toMatch(/an API key is required/);
    expect(body.code).toBe('unauthorized');
  });

  it('keeps refusing form bodies on the JSON API', async () => {
    const res = await fetch(`${t.url}/v2/connectors`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${t.apiKey}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'provider=telnyx',
    });
    expect(res.status).toBe(415);
  });
});
