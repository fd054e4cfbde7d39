import { parseTexml } from '@palaver/phone-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TelephonyTestServer } from './support.js';
import { hookUrl, postVoiceWebhook, startTelephonyServer, voiceFields } from './support.js';

// Where Telnyx is told to stream: the connector's pinned region, else the caller's country
// code's region, else this node. (Regions touch no store logic beyond the call record, so one
// dialect is enough here.)

describe('ingest regions', () => {
  let t: TelephonyTestServer;

  async function streamUrlOf(connector: { webhookUrl: string }, from: string): Promise<string> {
    const res = await postVoiceWebhook(hookUrl(t, connector.webhookUrl), voiceFields(from, '+1'));
    const start = parseTexml(res.body).verbs[0];
    return start?.verb === 'Start' ? (start.stream?.url ?? '') : '';
  }

  beforeAll(async () => {
    t = await startTelephonyServer('sqlite', {
      PALAVER_REGIONS: 'us002=wss://us.example/ingest,in002=wss://in.example',
      PALAVER_REGION_COUNTRY_CODES: '1=us002,91=in002,1242=in002',
    });
    await t.api('POST', '/v2/rooms', { unique_name: 'regional' });
  });
  afterAll(async () => t.close());

  it('uses the pinned region whoever calls', async () => {
    const pinned = (
      await t.api('POST', '/v2/connectors', {
        provider: 'telnyx',
        defaultRoomId: 'regional',
        region: 'in002',
      })
    ).body.data;
    expect(await streamUrlOf(pinned, '+13125550100')).toMatch(
      /^wss:\/\/in\.example\/telnyx\?ref=[A-Za-z0-9]{32}$/,
    );
  });

  it("derives the region from the caller's country code, longest code first", async () => {
    const open = (
      await t.api('POST', '/v2/connectors', { provider: 'telnyx', defaultRoomId: 'regional' })
    ).body.data;
    expect(await streamUrlOf(open, '+13125550100')).toMatch(
      /^wss:\/\/us\.example\/ingest\/telnyx\?ref=/,
    );
    expect(await streamUrlOf(open, '+919812345678')).toMatch(/^wss:\/\/in\.example\/telnyx\?ref=/);
    expect(await streamUrlOf(open, '+12425550100')).toMatch(/^wss:\/\/in\.example\/telnyx\?ref=/);
    // No region for +44 and none for a caller without a number: this node.
    const local = `ws://127.0.0.1:${new URL(t.url).port}/telnyx?ref=`;
    expect(await streamUrlOf(open, '+442071838750')).toContain(local);
    expect(await streamUrlOf(open, 'anonymous')).toContain(local);

    const calls = await t.api('GET', '/v2/sip/call?search=%2B91');
    expect(calls.body.data[0].region).toBe('in002');
  });

  it('refuses a region that is not configured, naming those that are', async () => {
    const res = await t.api('POST', '/v2/connectors', { provider: 'telnyx', region: 'eu001' });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe(
      'region "eu001" is not a configured region; configured regions: us002, in002',
    );
  });
});
