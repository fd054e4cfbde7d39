import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CallerAudio, SimulatedCall, detectTone, int16ToFloat, tone } from '@palaver/phone-sim';
import type { CallSummary } from '@palaver/phone-sim';
import type { GatewayTestServer } from '../gateway/support.js';
import { JanusWire, display, startGatewayServer } from '../gateway/support.js';
import { TextRoomSender } from '../../src/telephony/bridge/TextRoomSender.js';
import { apiClient } from '../support/testServer.js';
import { CallWebhookReceiver, connectorInto } from './support.js';

// The phone bridge against a real Janus, with phone-sim as the carrier: callers in one room hear
// each other through the AudioBridge mix (each leg transcoded G.711 ⇄ Opus), the room's clients
// get talking events for them, and every way a call ends closes its stream and its record.

const SECOND = 8000;

/** What a caller heard from `fromSec` to `toSec`, as floats. */
function heard(call: SimulatedCall, fromSec: number, toSec: number): Float32Array {
  return int16ToFloat(call.heardAudio().subarray(fromSec * SECOND, toSec * SECOND));
}

describe('the phone bridge', () => {
  let t: GatewayTestServer;
  let api: ReturnType<typeof apiClient>;
  let hooks: CallWebhookReceiver;
  /** Telnyx's Call Control API: a hang-up request ends the simulated call, as Telnyx would. */
  let telnyx: CallWebhookReceiver;
  const callsByControlId = new Map<string, SimulatedCall>();

  beforeAll(async () => {
    telnyx = await CallWebhookReceiver.start();
    telnyx.answer = (request) => {
      const match = /^\/v2\/calls\/([^/]+)\/actions\/hangup$/.exec(request.path);
      const call = match === null ? undefined : callsByControlId.get(decodeURIComponent(match[1]!));
      call?.hangup();
      return call === undefined ? 404 : 200;
    };
    t = await startGatewayServer({
      PALAVER_BRIDGE_IDLE_SECS: '1.5',
      PALAVER_TELNYX_API_URL: telnyx.url(''),
    });
    api = apiClient(t.url, t.apiKey);
    hooks = await CallWebhookReceiver.start();
    await api('POST', '/v2/sip/webhooks', {
      url: hooks.url(),
      events: ['call-started', 'call-answered', 'call-hangup', 'call-missed'],
    });
  });
  afterAll(async () => {
    if (process.env.BRIDGE_TEST_LOGS) {
      console.log(
        t.logs
          .filter((l) => l.level >= 40)
          .map((l) => JSON.stringify(l))
          .join('\n'),
      );
    }
    await t?.close();
    await hooks?.close();
    await telnyx?.close();
  });

  /** A room and a connector whose calls land in it; returns the webhook URL. */
  async function roomWithConnector(
    settings: Record<string, unknown> = {},
  ): Promise<{ roomId: string; webhookUrl: string }> {
    const roomId = (await api('POST', '/v2/rooms', {})).body.data.id as string;
    return { roomId, webhookUrl: await connectorInto(api, t.url, roomId, settings) };
  }

  const callsOf = async (roomId: string) =>
    (await api('GET', `/v2/sip/call?roomId=${roomId}`)).body.data as any[];

  it('lets two callers in one room hear each other, clean and at level, and not themselves', async () => {
    const { roomId, webhookUrl } = await roomWithConnector();
    const caller = (frequency: number, from: string) =>
      new SimulatedCall({
        webhookUrl,
        from,
        audio: new CallerAudio(tone({ frequency, durationMs: 6000, levelDbfs: -12 })),
        durationMs: 6000,
        record: true,
      });
    const alice = caller(1000, '+13125550101');
    const bob = caller(600, '+13125550102');
    const running = [alice.run(), bob.run()];

    // While they talk, both are participants of the room's session, with their numbers.
    await expect
      .poll(async () => (await callsOf(roomId)).map((c) => c.status), { timeout: 10_000 })
      .toEqual(['answered', 'answered']);
    const sessionId = (await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id;
    const participants = (await api('GET', `/v2/room_sessions/${sessionId}/participants`)).body
      .data as any[];
    expect(participants.map((p) => JSON.parse(p.context).phoneNumber).sort()).toEqual([
      '+13125550101',
      '+13125550102',
    ]);

    const [a, b] = (await Promise.all(running)) as [CallSummary, CallSummary];
    expect(a.status).toBe('completed');
    expect(b.status).toBe('completed');
    expect(a.received.media).toBeGreaterThan(200);

    // Bob hears Alice's 1 kHz at the level she sent it (μ-law and Opus both ways cost little)…
    const bobHeard = heard(bob, 2, 5);
    const tone1k = detectTone(bobHeard, SECOND, 1000);
    expect(tone1k.present).toBe(true);
    expect(tone1k.levelDbfs).toBeGreaterThan(-15);
    expect(tone1k.levelDbfs).toBeLessThan(-9);
    // …and clean: everything else (codec noise, anything folded down) is far below it.
    expect(tone1k.snrDb).toBeGreaterThan(20);
    // Alice hears Bob's 600 Hz, and not herself (the mix leaves each caller out).
    const aliceHeard = heard(alice, 2, 5);
    expect(detectTone(aliceHeard, SECOND, 600).levelDbfs).toBeGreaterThan(-15);
    expect(detectTone(aliceHeard, SECOND, 1000).levelDbfs).toBeLessThan(-45);
    console.log(
      'bridge callers',
      JSON.stringify({
        bobHears1kDbfs: +tone1k.levelDbfs.toFixed(2),
        snrDb: +tone1k.snrDb.toFixed(1),
        aliceHears600Dbfs: +detectTone(aliceHeard, SECOND, 600).levelDbfs.toFixed(2),
        aliceHearsHerselfDbfs: +detectTone(aliceHeard, SECOND, 1000).levelDbfs.toFixed(1),
        latency: t.server.phoneBridge!.stats().latency,
      }),
    );

    // Hang-up ends the records and the participants.
    await expect
      .poll(async () => (await callsOf(roomId)).map((c) => [c.status, c.hangupReason]))
      .toEqual([
        ['ended', 'caller-hangup'],
        ['ended', 'caller-hangup'],
      ]);
    for (const call of await callsOf(roomId)) {
      expect(call.duration).toBeGreaterThan(5);
      expect(call.duration).toBeLessThan(8);
    }
    await expect
      .poll(async () =>
        ((await api('GET', `/v2/room_sessions/${sessionId}/participants`)).body.data as any[]).map(
          (p) => p.left_at !== null,
        ),
      )
      .toEqual([true, true]);
  });

  it("tells the room's clients when a caller talks and stops, as Janus does for WebRTC legs", async () => {
    const { roomId, webhookUrl } = await roomWithConnector();
    const token = (await api('POST', `/v2/rooms/${roomId}/actions/generate_join_client_token`, {}))
      .body.data.token;
    const wire = await JanusWire.open(t.url, roomId, token);
    await wire.createSession();
    const roster = await wire.attach('audiobridge');
    await wire.message(roster, {
      request: 'join',
      room: roomId,
      display: display({ participantId: 'listener-1', canReceiveMessages: true }),
      muted: true,
    });
    const phoneJoined = wire.next(
      (f) => f.plugindata?.data?.audiobridge === 'joined' && f.plugindata.data.id === undefined,
      15_000,
    );
    const talking = wire.next((f) => f.plugindata?.data?.audiobridge === 'talking', 15_000);
    const stopped = wire.next((f) => f.plugindata?.data?.audiobridge === 'stopped-talking', 15_000);
    const call = new SimulatedCall({
      webhookUrl,
      audio: new CallerAudio(tone({ frequency: 440, durationMs: 2000, levelDbfs: -15 })),
      durationMs: 4000,
    });
    const running = call.run();

    const joined = (await phoneJoined).plugindata.data.participants[0];
    const shown = JSON.parse(Buffer.from(joined.display, 'base64').toString('utf8'));
    expect(shown).toMatchObject({
      telephonyEngineParticipant: true,
      stream: { key: 'audiobridge', isAudioEnabled: true, isVideoEnabled: false },
    });
    expect(JSON.parse(shown.external)).toMatchObject({ phoneNumber: '+13125550100' });
    const talk = await talking;
    expect(talk.sender).toBe(roster);
    expect(talk.plugindata.data).toEqual({ audiobridge: 'talking', room: roomId, id: joined.id });
    expect((await stopped).plugindata.data.id).toBe(joined.id);
    await running;
    wire.close();
  });

  it('posts the keys a caller presses to the room chat, from the phone participant', async () => {
    const { roomId, webhookUrl } = await roomWithConnector();
    const call = new SimulatedCall({
      webhookUrl,
      durationMs: 6000,
      dtmf: { digits: '1#', atMs: 3500 },
    });
    const running = call.run();
    await expect
      .poll(async () => (await callsOf(roomId)).map((c) => c.status), { timeout: 10_000 })
      .toEqual(['answered']);
    // Another member of the room's chat, listening the way a browser's data channel does.
    const chat: any[] = [];
    const listener = await TextRoomSender.open(
      await t.server.media!.supervisor.createClient(),
      t.server.media!.rooms.textRoomId(roomId),
      'listener-2',
      t.server.logger,
      (frame) => chat.push(frame),
    );
    const [record] = await callsOf(roomId);
    await expect
      .poll(() => chat.filter((f) => f.textroom === 'message'), { timeout: 8000 })
      .toHaveLength(2);
    const messages = chat.filter((f) => f.textroom === 'message');
    expect(messages.map((m) => m.from)).toEqual([record.participantId, record.participantId]);
    expect(messages.map((m) => JSON.parse(m.text))).toEqual([
      { message: { type: 'dtmf', digit: '1' }, recipients: null },
      { message: { type: 'dtmf', digit: '#' }, recipients: null },
    ]);
    listener.close();
    await running;
  });

  it('refuses unknown and reused refs and streams without one, with a reason', async () => {
    const base = t.url.replace(/^http/, 'ws');
    const closeOf = (url: string) =>
      new Promise<{ code: number; reason: string }>((resolve, reject) => {
        const ws = new WebSocket(url);
        ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
        ws.on('error', reject);
      });
    expect(await closeOf(`${base}/telnyx?ref=nope`)).toEqual({
      code: 1008,
      reason: 'unknown ref',
    });
    expect(await closeOf(`${base}/telnyx`)).toEqual({ code: 1008, reason: 'missing ref' });

    const { roomId, webhookUrl } = await roomWithConnector();
    const call = new SimulatedCall({ webhookUrl, durationMs: 1500, faults: { reuseRef: true } });
    const summary = await call.run();
    expect(summary.stream?.reuseRef).toEqual({
      outcome: 'refused',
      detail: 'closed with code 1008',
    });
    await expect.poll(async () => (await callsOf(roomId)).map((c) => c.status)).toEqual(['ended']);
    expect(t.logs.some((l) => l.msg === 'phone bridge refused a stream: ref already used')).toBe(
      true,
    );
  });

  it('survives bad frames, ignores what comes before start, and ends a stream that goes silent', async () => {
    const { roomId, webhookUrl } = await roomWithConnector();
    const texml = await (
      await fetch(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ From: '+13125550111', To: '+13125550199', CallSid: 'v3:x' }),
      })
    ).text();
    const streamUrl = /url="([^"]+)"/.exec(texml)![1]!.replace(/&amp;/g, '&');
    const ws = new WebSocket(streamUrl.replace(/^wss?:\/\/[^/]+/, t.url.replace(/^http/, 'ws')));
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    await new Promise((resolve) => ws.once('open', resolve));
    const payload = Buffer.alloc(160, 0xff).toString('base64');
    ws.send(JSON.stringify({ event: 'media', media: { track: 'inbound', payload } }));
    ws.send(JSON.stringify({ event: 'connected', version: '1.0.0' }));
    ws.send(
      JSON.stringify({
        event: 'start',
        sequence_number: 1,
        start: {
          call_control_id: 'v3:x',
          from: '+13125550111',
          to: '+13125550199',
          customParameters: { a: 'b' },
          media_format: { encoding: 'audio/x-mulaw', sample_rate: 8000, channels: 1 },
        },
      }),
    );
    ws.send('{not json');
    ws.send(JSON.stringify({ event: 'surprise' }));
    ws.send(JSON.stringify({ event: 'media', media: { track: 'inbound', payload: '!!!' } }));
    ws.send(JSON.stringify({ event: 'media', media: { track: 'inbound', payload: 'AAAA' } }));
    for (let chunk = 1; chunk <= 10; chunk++) {
      ws.send(JSON.stringify({ event: 'media', media: { track: 'inbound', chunk, payload } }));
    }
    await expect
      .poll(async () => (await callsOf(roomId)).map((c) => c.status), { timeout: 10_000 })
      .toEqual(['answered']);
    // Then nothing more: the idle timeout (1.5 s here) ends the call.
    expect(await closed).toEqual({ code: 1011, reason: 'stream-idle' });
    await expect
      .poll(async () => (await callsOf(roomId)).map((c) => [c.status, c.hangupReason]))
      .toEqual([['ended', 'stream-idle']]);
    const warned = t.logs
      .filter((l) => l.msg?.startsWith('phone bridge: ignored a bad stream frame'))
      .map((l) => l.problem);
    expect(warned).toEqual(
      expect.arrayContaining([
        'media_before_start',
        'malformed_json',
        'unknown_event',
        'invalid_media',
      ]),
    );
  });

  it('closes the stream when the call is ended through the API, and hangs it up at Telnyx when it can', async () => {
    const { roomId, webhookUrl } = await roomWithConnector();
    const byApi = new SimulatedCall({ webhookUrl, durationMs: 20_000 });
    const running = byApi.run();
    await expect
      .poll(async () => (await callsOf(roomId)).map((c) => c.status), { timeout: 10_000 })
      .toEqual(['answered']);
    const [record] = await callsOf(roomId);
    await api('POST', '/v2/sip/call/end', { callId: record.id });
    // The stream closes; without a Telnyx API key the phone call itself stays up (its <Pause>).
    await expect.poll(() => t.server.phoneBridge!.calls.length).toBe(0);
    expect((await api('GET', `/v2/sip/call/${record.id}`)).body.data).toMatchObject({
      status: 'ended',
      hangupReason: 'api-request',
    });
    byApi.hangup();
    const summary = await running;
    expect(summary.stream?.closedBy).toBe('server');
    expect(summary.stream?.closeReason).toBe('api-request');
    expect(telnyx.received).toEqual([]);

    // With the connector's Telnyx API key, the bridge asks Telnyx to hang up the call.
    const keyed = await roomWithConnector({ telnyxApiKey: 'KEY_test_123' });
    const hungUp = new SimulatedCall({ webhookUrl: keyed.webhookUrl, durationMs: 20_000 });
    callsByControlId.set(hungUp.identity.callSid, hungUp);
    const running2 = hungUp.run();
    await expect
      .poll(async () => (await callsOf(keyed.roomId)).map((c) => c.status), { timeout: 10_000 })
      .toEqual(['answered']);
    const [keyedRecord] = await callsOf(keyed.roomId);
    await api('POST', '/v2/sip/call/end', { callId: keyedRecord.id });
    const summary2 = await running2;
    expect(summary2.durationMs).toBeLessThan(10_000);
    expect(telnyx.received).toHaveLength(1);
    expect(telnyx.received[0]).toMatchObject({
      path: `/v2/calls/${encodeURIComponent(hungUp.identity.callSid)}/actions/hangup`,
      headers: expect.objectContaining({ authorization: 'Bearer KEY_test_123' }),
    });
  });

  it('ends the call when the room is deleted or the phone participant is kicked', async () => {
    const { roomId, webhookUrl } = await roomWithConnector();
    const deleted = new SimulatedCall({ webhookUrl, durationMs: 20_000 });
    const running = deleted.run();
    await expect
      .poll(async () => (await callsOf(roomId)).map((c) => c.status), { timeout: 10_000 })
      .toEqual(['answered']);
    await api('DELETE', `/v2/rooms/${roomId}`);
    await expect
      .poll(async () => (await callsOf(roomId)).map((c) => c.hangupReason))
      .toEqual(['room-deleted']);
    deleted.hangup();
    expect((await running).stream?.closeReason).toBe('room-deleted');

    const kicked = await roomWithConnector();
    const call = new SimulatedCall({ webhookUrl: kicked.webhookUrl, durationMs: 20_000 });
    const running2 = call.run();
    await expect
      .poll(async () => (await callsOf(kicked.roomId)).map((c) => c.status), { timeout: 10_000 })
      .toEqual(['answered']);
    const [record] = await callsOf(kicked.roomId);
    const kick = await api('POST', `/v2/room_sessions/${record.sessionId}/actions/kick`, {
      participants: [record.participantId],
    });
    expect(kick.status).toBe(200);
    await expect
      .poll(async () => (await callsOf(kicked.roomId)).map((c) => c.hangupReason))
      .toEqual(['kicked']);
    call.hangup();
    expect((await running2).stream?.closeReason).toBe('kicked');
    expect(
      (await api('GET', `/v2/room_participants/${record.participantId}`)).body.data.left_at,
    ).toEqual(expect.any(String));
  });
});
