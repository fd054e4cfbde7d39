import { TelnyxWebhook } from 'telnyx/lib/webhooks';
import { afterEach, describe, expect, it } from 'vitest';
import {
  appClearFrame,
  appMarkFrame,
  appMediaFrame,
  CallerAudio,
  detectTone,
  floatToInt16,
  int16ToFloat,
  mulawEncode,
  SimulatedCall,
  StubConnector,
  tone,
  WebhookSigner,
  type TelnyxMediaFrame,
} from '../src/index.js';
import { eventually, normalizeFrame } from './support/normalize.js';

const stubs: StubConnector[] = [];
async function startStub(
  options: ConstructorParameters<typeof StubConnector>[0] = {},
): Promise<StubConnector> {
  const stub = await new StubConnector(options).listen();
  stubs.push(stub);
  return stub;
}
afterEach(async () => {
  await Promise.all(stubs.splice(0).map((s) => s.close()));
});

function headersOf(h: Record<string, string | string[] | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(h).flatMap(([k, v]) =>
      v === undefined ? [] : [[k, Array.isArray(v) ? v.join(', ') : v]],
    ),
  );
}

const toneFrames = (n: number): string[] => {
  const bytes = mulawEncode(
    floatToInt16(tone({ frequency: 1000, durationMs: n * 20, levelDbfs: -10 })),
  );
  return Array.from({ length: n }, (_, i) =>
    bytes.subarray(i * 160, i * 160 + 160).toString('base64'),
  );
};

describe('a simulated call against a stub connector', () => {
  it('sends every frame type exactly as the protocol notes §3 describe', async () => {
    const signer = WebhookSigner.generate();
    const stub = await startStub({
      publicKey: signer.publicKey,
      parameters: { customer_id: '12345' },
      streamStatusCallback: true,
      audio: 'none',
    });
    stub.on('frame', (stream, frame) => {
      // Once the caller's fifth frame is in, stream back five frames of tone and a mark.
      if (frame.event === 'media' && frame.media.track === 'inbound' && frame.media.chunk === '5') {
        for (const payload of toneFrames(5)) {
          stream.send(appMediaFrame(payload));
        }
        stream.send(appMarkFrame('greeting-end'));
      }
    });
    const call = new SimulatedCall({
      webhookUrl: stub.webhookUrl,
      signer,
      audio: new CallerAudio(tone({ frequency: 440, durationMs: 1000 })),
      dtmf: { digits: '1#', atMs: 300 },
      record: true,
    });
    const summary = await call.run();
    await eventually(() => stub.streams[0]?.closeCode !== undefined);
    const stream = stub.streams[0];
    expect(stream).toBeDefined();
    if (stream === undefined) {
      return;
    }
    expect(stream.invalid).toEqual([]);
    const byEvent = (event: string, track?: string): string | undefined =>
      stream.frames.find((t) => {
        const f = JSON.parse(t) as { event: string; media?: { track: string } };
        return f.event === event && (track === undefined || f.media?.track === track);
      });

    expect(stream.frames[0]).toBe('{"event":"connected","version":"1.0.0"}');
    expect(normalizeFrame(stream.frames[1] ?? '')).toMatchInlineSnapshot(
      `"{"event":"start","sequence_number":"<n>","stream_id":"<stream_id>","start":{"user_id":"<account_sid>","call_control_id":"<call_sid>","call_session_id":"<call_session_id>","from":"+13125550100","to":"+13125550199","custom_parameters":{"customer_id":"12345"},"media_format":{"encoding":"PCMU","sample_rate":8000,"channels":1}}}"`,
    );
    expect(normalizeFrame(byEvent('media', 'inbound') ?? '')).toMatchInlineSnapshot(
      `"{"event":"media","sequence_number":"<n>","media":{"track":"inbound","chunk":"1","timestamp":"0","payload":"<160 bytes>"},"stream_id":"<stream_id>"}"`,
    );
    const outbound = byEvent('media', 'outbound') ?? '';
    expect(
      normalizeFrame(outbound).replace(/"timestamp":"\d+"/, '"timestamp":"<ms>"'),
    ).toMatchInlineSnapshot(
      `"{"event":"media","sequence_number":"<n>","media":{"track":"outbound","chunk":"1","timestamp":"<ms>","payload":"<160 bytes>"},"stream_id":"<stream_id>"}"`,
    );
    expect(normalizeFrame(byEvent('dtmf') ?? '')).toMatchInlineSnapshot(
      `"{"event":"dtmf","stream_id":"<stream_id>","occurred_at":"<iso time>","sequence_number":"<n>","dtmf":{"digit":"1"}}"`,
    );
    expect(normalizeFrame(byEvent('mark') ?? '')).toMatchInlineSnapshot(
      `"{"event":"mark","stream_id":"<stream_id>","sequence_number":"<n>","mark":{"name":"greeting-end"}}"`,
    );
    expect(normalizeFrame(stream.frames.at(-1) ?? '')).toMatchInlineSnapshot(
      `"{"event":"stop","sequence_number":"<n>","stop":{"user_id":"<account_sid>","call_control_id":"<call_sid>"},"stream_id":"<stream_id>"}"`,
    );

    // stream_id and the call ids are the same in every frame; the ids match the webhook's.
    const parsed = stream.parsed.slice(1) as Array<{ stream_id: string; sequence_number: string }>;
    const streamId = parsed[0]?.stream_id;
    expect(streamId).toMatch(/^[0-9a-f-]{36}$/);
    expect(parsed.every((f) => f.stream_id === streamId)).toBe(true);
    const start = stream.framesOf('start')[0];
    const fields = new Map(stub.webhooks.find((w) => w.kind === 'voice')?.fields);
    expect(start?.start.call_control_id).toBe(fields.get('CallSid'));
    expect(start?.start.user_id).toBe(fields.get('AccountSid'));

    // sequence_number counts every frame after `connected`, from "1", with no gap.
    expect(parsed.map((f) => f.sequence_number)).toEqual(parsed.map((_, i) => String(i + 1)));

    // Per track: chunks from "1" with no gap; 160-byte payloads; inbound timestamps 20 ms apart from "0".
    const media = stream.framesOf('media');
    const inbound = media.filter((f) => f.media.track === 'inbound');
    const outboundFrames = media.filter((f) => f.media.track === 'outbound');
    expect(inbound.map((f) => f.media.chunk)).toEqual(inbound.map((_, i) => String(i + 1)));
    expect(inbound.map((f) => f.media.timestamp)).toEqual(inbound.map((_, i) => String(i * 20)));
    expect(outboundFrames.map((f) => f.media.chunk)).toEqual(
      outboundFrames.map((_, i) => String(i + 1)),
    );
    for (const f of media) {
      expect(Buffer.from(f.media.payload, 'base64')).toHaveLength(160);
      expect(Number(f.media.timestamp) % 20).toBe(0);
    }
    expect(inbound.length).toBeGreaterThanOrEqual(46);
    expect(inbound.length).toBe(summary.sent.inboundFrames);

    // The outbound track carries exactly the five frames the application streamed back.
    expect(outboundFrames.map((f: TelnyxMediaFrame) => f.media.payload)).toEqual(toneFrames(5));
    // The mark came back after them.
    const markAt = stream.frames.findIndex((t) => t.includes('"event":"mark"'));
    const lastOutboundAt = stream.frames.findLastIndex((t) => t.includes('"track":"outbound"'));
    expect(markAt).toBeGreaterThan(lastOutboundAt);
    expect(stream.framesOf('dtmf').map((f) => f.dtmf.digit)).toEqual(['1', '#']);
    expect(stream.framesOf('stop')).toHaveLength(1);

    // The caller heard the tone, for 100 ms.
    const heard = int16ToFloat(call.heardAudio());
    const sounding = heard.findIndex((v) => v !== 0);
    const lastSounding = heard.findLastIndex((v) => v !== 0);
    // (a sine starts at zero, so up to a sample less)
    expect(lastSounding - sounding + 1).toBeGreaterThanOrEqual(798);
    expect(lastSounding - sounding + 1).toBeLessThanOrEqual(800);
    expect(detectTone(heard.subarray(sounding, lastSounding + 1), 8000, 1000)).toMatchObject({
      present: true,
    });
    expect(summary).toMatchObject({
      status: 'completed',
      hangupSource: 'caller',
      sent: { dtmf: 2, marks: 1, errors: 0 },
      received: { media: 5, bytes: 800, marks: 1, malformed: 0 },
      stream: {
        closedBy: 'simulator',
        closeCode: 1000,
        customParameters: { customer_id: '12345' },
      },
      timing: { gaps: 0 },
      warnings: [],
    });
  });

  it('posts a form-encoded voice webhook with the documented fields, signed for the official SDK', async () => {
    const signer = WebhookSigner.generate();
    const stub = await startStub({ publicKey: signer.publicKey, streamStatusCallback: true });
    const summary = await new SimulatedCall({
      webhookUrl: `${stub.webhookUrl}?roomId=room-1`,
      signer,
      from: '+13122010091',
      to: '+13122010090',
      durationMs: 200,
      statusCallbackUrl: stub.callStatusUrl,
    }).run();
    expect(summary.status).toBe('completed');
    await eventually(() => stub.webhooks.filter((w) => w.kind !== 'voice').length >= 4);

    const voice = stub.webhooks.find((w) => w.kind === 'voice');
    expect(voice?.method).toBe('POST');
    expect(voice?.query).toBe('roomId=room-1');
    expect(voice?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(voice?.fields.map(([k]) => k)).toEqual([
      'AccountSid',
      'CallSid',
      'CallSidLegacy',
      'From',
      'To',
      'ConnectionId',
      'ApiVersion',
      'CallStatus',
    ]);
    const f = new Map(voice?.fields);
    expect(f.get('AccountSid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(f.get('CallSid')).toMatch(/^v3:[\w-]+$/);
    expect(f.get('CallSidLegacy')).toBe(f.get('CallSid'));
    expect(f.get('From')).toBe('+13122010091');
    expect(f.get('To')).toBe('+13122010090');
    expect(f.get('ConnectionId')).toMatch(/^\d{19}$/);
    expect(f.get('ApiVersion')).toBe('2010-04-01');
    expect(f.get('CallStatus')).toBe('ringing');
    expect(voice?.rawBody).toContain('From=%2B13122010091');

    // Every webhook verifies with the official SDK's verifier.
    for (const webhook of stub.webhooks) {
      expect(webhook.signature).toBe('valid');
      await expect(
        new TelnyxWebhook(signer.publicKey).verify(webhook.rawBody, headersOf(webhook.headers)),
      ).resolves.toBeUndefined();
    }
    const tampered = voice?.rawBody.replace('ringing', 'completed') ?? '';
    await expect(
      new TelnyxWebhook(signer.publicKey).verify(tampered, headersOf(voice?.headers ?? {})),
    ).rejects.toThrow(/signature/i);

    const streamStatus = stub.webhooks.filter((w) => w.kind === 'stream-status');
    expect(streamStatus.map((w) => new Map(w.fields).get('StreamEvent'))).toEqual([
      'stream-started',
      'stream-stopped',
    ]);
    expect(streamStatus[0]?.fields.map(([k]) => k)).toEqual([
      'AccountSid',
      'CallSid',
      'CallSidLegacy',
      'StreamEvent',
      'StreamName',
      'StreamSid',
      'Timestamp',
    ]);
    expect(new Map(streamStatus[0]?.fields).get('StreamSid')).toBe(summary.stream?.streamId);
    const progress = stub.webhooks
      .filter((w) => w.kind === 'call-status')
      .map((w) => new Map(w.fields));
    expect(
      progress.map((p) => [p.get('CallStatus'), p.get('CallbackSource'), p.get('SequenceNumber')]),
    ).toEqual([
      ['in-progress', 'call-progress-events', '0'],
      ['completed', 'call-progress-events', '1'],
    ]);
  });

  it('sends the parameters in the query string for GET, and an unsigned webhook without a key', async () => {
    const stub = await startStub();
    await new SimulatedCall({ webhookUrl: stub.webhookUrl, method: 'GET', durationMs: 100 }).run();
    const voice = stub.webhooks[0];
    expect(voice?.method).toBe('GET');
    expect(voice?.rawBody).toBe('');
    expect(voice?.fields.map(([k]) => k)).toContain('CallSid');
    expect(voice?.headers['telnyx-signature-ed25519']).toBeUndefined();
  });

  it('returns marks at once when nothing plays, and all queued marks on clear', async () => {
    const stub = await startStub({ audio: 'none' });
    stub.on('stream', (stream) => {
      stream.send(appMarkFrame('idle'));
      setTimeout(() => {
        for (const payload of toneFrames(50)) {
          stream.send(appMediaFrame(payload));
        }
        stream.send(appMarkFrame('a'));
        stream.send(appMediaFrame(toneFrames(1)[0] ?? ''));
        stream.send(appMarkFrame('b'));
        setTimeout(() => stream.send(appClearFrame()), 200);
      }, 100);
    });
    const summary = await new SimulatedCall({ webhookUrl: stub.webhookUrl, durationMs: 600 }).run();
    const stream = stub.streams[0];
    expect(stream?.framesOf('mark').map((m) => m.mark.name)).toEqual(['idle', 'a', 'b']);
    // Cleared after ~200 ms of a 1 s queue: about ten frames played, not fifty.
    const outbound =
      stream?.framesOf('media').filter((f) => f.media.track === 'outbound').length ?? 0;
    expect(outbound).toBeGreaterThan(3);
    expect(outbound).toBeLessThan(45);
    expect(summary.received).toMatchObject({ marks: 3, clears: 1, media: 51 });
  });

  it('answers malformed frames and non-base64 media with error frames', async () => {
    const stub = await startStub({ audio: 'none' });
    stub.on('stream', (stream) => {
      stream.send('{"event":"media","media":');
      stream.send('{"event":"media","media":{"payload":"*not base64*"}}');
      stream.send('{"event":"shout"}');
    });
    const summary = await new SimulatedCall({ webhookUrl: stub.webhookUrl, durationMs: 300 }).run();
    const errors = stub.streams[0]?.framesOf('error') ?? [];
    expect(errors.map((e) => normalizeFrame(JSON.stringify(e)))).toMatchInlineSnapshot(`
      [
        "{"stream_id":"<stream_id>","event":"error","sequence_number":"<n>","error":{"title":"malformed_frame","code":"100003","detail":"the frame is not valid JSON"}}",
        "{"stream_id":"<stream_id>","event":"error","sequence_number":"<n>","error":{"title":"invalid_media","code":"100004","detail":"payload is not valid base64"}}",
      ]
    `);
    expect(summary.received).toMatchObject({ malformed: 1, invalidMedia: 1, unknownEvents: 1 });
  });

  it('runs Say, honours Hangup and ends when the TeXML runs out', async () => {
    const stub = await startStub({
      texml:
        '<Response><Say voice="alice">Hello</Say><Start><Stream url="{{STREAM_URL}}" track="both_tracks"/></Start><Pause length="1"/><Hangup/><Say>never</Say></Response>',
    });
    const call = new SimulatedCall({
      webhookUrl: stub.webhookUrl,
      durationMs: 5000,
      record: true,
      speech: () => Promise.resolve(tone({ frequency: 600, durationMs: 300, levelDbfs: -6 })),
    });
    const summary = await call.run();
    expect(summary).toMatchObject({
      status: 'completed',
      hangupSource: 'callee',
      verbs: ['Say', 'Start', 'Pause', 'Hangup', 'Say'],
    });
    expect(summary.durationMs).toBeGreaterThan(1200);
    expect(summary.durationMs).toBeLessThan(3000);
    const heard = int16ToFloat(call.heardAudio());
    expect(detectTone(heard.subarray(0, 2400), 8000, 600).present).toBe(true);
    expect(stub.streams[0]?.framesOf('stop')).toHaveLength(1);
  });

  it('reports Reject, unknown verbs, bad TeXML and failing webhooks', async () => {
    const busy = await startStub({ texml: '<Response><Reject reason="busy"/></Response>' });
    expect(await new SimulatedCall({ webhookUrl: busy.webhookUrl }).run()).toMatchObject({
      status: 'busy',
      hangupSource: 'callee',
      stream: undefined,
      durationMs: 0,
    });
    const odd = await startStub({ texml: '<Response><Gather/><Redirect>x</Redirect></Response>' });
    const oddSummary = await new SimulatedCall({ webhookUrl: odd.webhookUrl }).run();
    expect(oddSummary.verbs).toEqual(['Gather', 'Redirect']);
    expect(oddSummary.warnings).toEqual([
      'TeXML: <Gather> is not simulated; skipped',
      'TeXML: <Redirect> is not simulated; skipped',
    ]);
    const broken = await startStub({ texml: '<Response><Start>' });
    expect((await new SimulatedCall({ webhookUrl: broken.webhookUrl }).run()).error?.code).toBe(
      'texml_invalid',
    );
    const gone = await new SimulatedCall({
      webhookUrl: 'http://127.0.0.1:1/hook',
      webhookTimeoutMs: 2000,
    }).run();
    expect(gone).toMatchObject({ status: 'failed', error: { code: 'webhook_failed' } });
    // A failover URL is tried when the first one fails.
    const backup = await startStub();
    const failedOver = await new SimulatedCall({
      webhookUrl: 'http://127.0.0.1:1/hook',
      failoverUrl: backup.webhookUrl,
      durationMs: 100,
    }).run();
    expect(failedOver.webhook).toMatchObject({ failover: true, status: 200 });
    expect(failedOver.status).toBe('completed');
  });
});
