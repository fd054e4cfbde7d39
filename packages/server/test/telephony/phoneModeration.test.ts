import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  CallerAudio,
  SimulatedCall,
  concat,
  int16ToFloat,
  silence,
  tone,
  toneLevel,
} from '@palaver/phone-sim';
import type { GatewayTestServer } from '../gateway/support.js';
import { JanusWire, display, startGatewayServer } from '../gateway/support.js';
import { apiClient } from '../support/testServer.js';
import {
  CallWebhookReceiver,
  connectorInto,
  postVoiceWebhook,
  refOf,
  voiceFields,
} from './support.js';

// Moderation reaches phone callers as it reaches browsers: a REST mute silences a caller in the
// room's mix (and Janus tells the room's clients), callers count against max_participants, and
// the call record says which room action ended a call.

const RATE = 8000;
const SECOND = RATE;

/** 1 kHz at −12 dBFS for `ms`. */
const spurt = (ms: number) => tone({ frequency: 1000, durationMs: ms, levelDbfs: -12 });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('moderating phone callers', () => {
  let t: GatewayTestServer;
  let api: ReturnType<typeof apiClient>;
  let hooks: CallWebhookReceiver;

  beforeAll(async () => {
    t = await startGatewayServer({ PALAVER_BRIDGE_IDLE_SECS: '3' });
    api = apiClient(t.url, t.apiKey);
    hooks = await CallWebhookReceiver.start();
    await api('POST', '/v2/sip/webhooks', {
      url: hooks.url(),
      events: ['call-started', 'call-answered', 'call-hangup', 'call-missed'],
    });
  });
  afterAll(async () => {
    await t?.close();
    await hooks?.close();
  });

  async function roomWithConnector(
    room: Record<string, unknown> = {},
  ): Promise<{ roomId: string; webhookUrl: string }> {
    const roomId = (await api('POST', '/v2/rooms', room)).body.data.id as string;
    return { roomId, webhookUrl: await connectorInto(api, t.url, roomId) };
  }

  const callsOf = async (roomId: string) =>
    (await api('GET', `/v2/sip/call?roomId=${roomId}`)).body.data as any[];

  /** A gateway client registered in the room (the SDK's roster handle), listening to events. */
  async function listener(roomId: string): Promise<{ wire: JanusWire; reply: any }> {
    const token = (await api('POST', `/v2/rooms/${roomId}/actions/generate_join_client_token`, {}))
      .body.data.token;
    const wire = await JanusWire.open(t.url, roomId, token);
    await wire.createSession();
    const roster = await wire.attach('audiobridge');
    const reply = await wire.message(roster, {
      request: 'join',
      room: roomId,
      display: display({ participantId: randomUUID(), canReceiveMessages: true }),
      muted: true,
    });
    return { wire, reply };
  }

  /** The webhooks received for one call, by type, in order. */
  const hooksOf = (callId: string) =>
    hooks.received
      .map((r) => JSON.parse(r.body))
      .filter((w) => w.data.id === callId)
      .map((w) => [w.webhookType, w.data.hangupReason]);

  it('mutes a caller in the mix, tells the room, hides its talking, and unmutes it', async () => {
    const { roomId, webhookUrl } = await roomWithConnector();
    const { wire } = await listener(roomId);
    // Alice talks 1 kHz in three spurts; Bob listens. The mute comes in Alice's first pause
    // and goes in her second, so her second spurt is said while muted.
    const alice = new SimulatedCall({
      webhookUrl,
      from: '+13125550101',
      audio: new CallerAudio(
        concat(spurt(3000), silence(2000), spurt(3000), silence(2000), spurt(3000)),
      ),
      durationMs: 13_500,
    });
    const bob = new SimulatedCall({
      webhookUrl,
      from: '+13125550102',
      durationMs: 20_000,
      record: true,
    });
    const aliceOpened = new Promise<number>((resolve) =>
      alice.once('streamOpen', () => resolve(performance.now())),
    );
    const runningBob = bob.run();
    await expect
      .poll(async () => (await callsOf(roomId)).map((c) => c.status), { timeout: 10_000 })
      .toEqual(['answered']);
    const runningAlice = alice.run();
    const aliceStart = await aliceOpened;
    await expect
      .poll(async () => (await callsOf(roomId)).map((c) => c.status), { timeout: 10_000 })
      .toEqual(['answered', 'answered']);
    const aliceRecord = (await callsOf(roomId)).find((c) => c.from === '+13125550101');
    const sessionId = aliceRecord.sessionId as string;
    const aliceLeg = t.server.phoneBridge!.calls.find(
      (c) => c.participantId === aliceRecord.participantId,
    )!.janusId!;

    const at = (ms: number) => sleep(Math.max(0, aliceStart + ms - performance.now()));
    const talkingOfAlice = () =>
      wire.frames.filter(
        (f) => f.plugindata?.data?.audiobridge === 'talking' && f.plugindata.data.id === aliceLeg,
      ).length;
    /** Where Bob's recording is now (what he heard so far), in samples. */
    const mark = () => bob.heardAudio().length;
    /**
     * The 1 kHz Bob heard between two marks, in its loudest half second: on a loaded machine
     * the caller's audio may reach Bob late or with frames dropped, which shifts or shortens a
     * spurt but not its level.
     */
    const bobHears1k = (from: number, to: number) => {
      const heard = int16ToFloat(bob.heardAudio().subarray(from, to));
      const half = SECOND / 2;
      let loudest = -Infinity;
      for (let at = 0; at + half <= heard.length; at += half / 2) {
        loudest = Math.max(loudest, toneLevel(heard.subarray(at, at + half), RATE, 1000));
      }
      return loudest;
    };

    // First spurt: Bob hears Alice, the room sees her talking.
    await at(1000);
    const firstFrom = mark();
    await at(3000);
    const firstTo = mark();
    await expect.poll(talkingOfAlice).toBe(1);

    /** Janus's notice to the room's clients that Alice's leg is (un)muted. */
    const legNotice = (muted: boolean) =>
      wire.next(
        (f) =>
          f.plugindata?.data?.audiobridge === 'event' &&
          Array.isArray(f.plugindata.data.participants) &&
          f.plugindata.data.participants.some((p: any) => p.id === aliceLeg && p.muted === muted),
      );

    await at(3800);
    const muteNotice = legNotice(true);
    const muted = await api('POST', `/v2/room_sessions/${sessionId}/actions/mute`, {
      participants: [aliceRecord.participantId],
    });
    expect(muted.status).toBe(200);
    // The room's clients get Janus's own notice that the leg is muted.
    const notice = (await muteNotice).plugindata.data.participants.find(
      (p: any) => p.id === aliceLeg,
    );
    const shown = JSON.parse(Buffer.from(notice.display, 'base64').toString('utf8'));
    expect(shown).toMatchObject({
      participantId: aliceRecord.participantId,
      telephonyEngineParticipant: true,
    });

    // Second spurt (5–8 s), said while muted: Bob hears nothing of it, and nobody sees her talk.
    await at(5000);
    const mutedFrom = mark();
    await at(8500);
    const mutedTo = mark();
    expect(talkingOfAlice()).toBe(1);

    await at(8900);
    const unmuteNotice = legNotice(false);
    const unmuted = await api('POST', `/v2/room_sessions/${sessionId}/actions/unmute`, {
      participants: 'all',
    });
    expect(unmuted.status).toBe(200);
    await unmuteNotice;

    // Third spurt (10–13 s): heard again, and talking again.
    await at(10_000);
    const backFrom = mark();
    await at(13_200);
    const backTo = mark();
    await expect.poll(talkingOfAlice).toBe(2);

    const levels = {
      before: bobHears1k(firstFrom, firstTo),
      muted: bobHears1k(mutedFrom, mutedTo),
      after: bobHears1k(backFrom, backTo),
    };
    console.log(
      'phone mute: Bob hears 1 kHz at (dBFS)',
      Object.entries(levels).map(([k, v]) => `${k} ${v.toFixed(1)}`),
    );
    expect(levels.before).toBeGreaterThan(-16);
    expect(levels.muted).toBeLessThan(-60);
    expect(levels.after).toBeGreaterThan(-16);

    await Promise.all([runningAlice, runningBob]);
    wire.close();
  });

  it('counts callers against max_participants: TeXML says the room is full, browsers are refused', async () => {
    const { roomId, webhookUrl } = await roomWithConnector({ max_participants: 2 });
    const first = new SimulatedCall({ webhookUrl, from: '+13125550111', durationMs: 20_000 });
    const second = new SimulatedCall({ webhookUrl, from: '+13125550112', durationMs: 20_000 });
    const running = [first.run(), second.run()];
    await expect
      .poll(async () => (await callsOf(roomId)).map((c) => c.status), { timeout: 10_000 })
      .toEqual(['answered', 'answered']);

    // A third caller is told at once, and not connected.
    const answer = await postVoiceWebhook(webhookUrl, voiceFields('+13125550113', '+13125550199'));
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('<Say>Sorry, this call cannot be connected: the room is full.');
    expect(answer.body).toContain('<Hangup />');
    expect(answer.body).not.toContain('<Stream');
    const refused = (await callsOf(roomId)).find((c) => c.from === '+13125550113');
    expect(refused).toMatchObject({ status: 'missed', hangupReason: 'room-full' });
    await expect.poll(() => hooksOf(refused.id)).toEqual([['call-missed', 'room-full']]);

    // A browser is refused as when browsers fill the room.
    const { wire, reply } = await listener(roomId);
    expect(reply).toMatchObject({
      janus: 'error',
      status_code: 403,
      error_message: 'room is full: it allows 2 participants (max_participants)',
    });
    wire.close();

    // A caller who hangs up gives the seat back.
    first.hangup();
    await running[0];
    await expect
      .poll(async () => (await callsOf(roomId)).filter((c) => c.status === 'answered'))
      .toHaveLength(1);
    const again = await listener(roomId);
    expect(again.reply.plugindata.data.audiobridge).toBe('joined');
    again.wire.close();
    second.hangup();
    await running[1];
  });

  it('refuses a stream whose room filled up after the TeXML answer, with a reason', async () => {
    const { roomId, webhookUrl } = await roomWithConnector({ max_participants: 2 });
    const inRoom = new SimulatedCall({ webhookUrl, from: '+13125550121', durationMs: 20_000 });
    const running = inRoom.run();
    await expect
      .poll(async () => (await callsOf(roomId)).map((c) => c.status), { timeout: 10_000 })
      .toEqual(['answered']);
    // Telnyx was told to stream (the room had a seat)…
    const answer = await postVoiceWebhook(webhookUrl, voiceFields('+13125550122', '+13125550199'));
    expect(answer.body).toContain('<Stream');
    // …but a browser takes the seat before the stream comes.
    const browser = await listener(roomId);
    expect(browser.reply.plugindata.data.audiobridge).toBe('joined');
    const ws = new WebSocket(`${t.url.replace(/^http/, 'ws')}/telnyx?ref=${refOf(answer.body)}`);
    const closed = await new Promise<{ code: number; reason: string }>((resolve, reject) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
      ws.on('error', reject);
    });
    expect(closed).toEqual({ code: 1008, reason: 'room is full' });
    const late = (await callsOf(roomId)).find((c) => c.from === '+13125550122');
    expect(late).toMatchObject({ status: 'missed', hangupReason: 'room-full' });
    await expect
      .poll(() => hooksOf(late.id))
      .toEqual([
        ['call-started', null],
        ['call-missed', 'room-full'],
      ]);
    expect(t.logs.some((l) => l.msg === 'phone bridge refused a stream: room is full')).toBe(true);
    browser.wire.close();
    inRoom.hangup();
    await running;
  });

  it('says which room action ended a call: kicked, session-ended or room-deleted', async () => {
    /** A call in a room with a browser beside it; resolves once the caller is in. */
    async function callInRoom() {
      const { roomId, webhookUrl } = await roomWithConnector();
      const browser = await listener(roomId);
      const call = new SimulatedCall({ webhookUrl, durationMs: 30_000 });
      const running = call.run();
      await expect
        .poll(async () => (await callsOf(roomId)).map((c) => c.status), { timeout: 10_000 })
        .toEqual(['answered']);
      const [record] = await callsOf(roomId);
      return { roomId, browser, call, running, record };
    }
    const [kicked, ended, deleted] = await Promise.all([callInRoom(), callInRoom(), callInRoom()]);

    const kick = await api('POST', `/v2/room_sessions/${kicked.record.sessionId}/actions/kick`, {
      participants: [kicked.record.participantId],
    });
    expect(kick.status).toBe(200);
    const end = await api('POST', `/v2/room_sessions/${ended.record.sessionId}/actions/end`, {});
    expect(end.status).toBe(200);
    expect((await api('DELETE', `/v2/rooms/${deleted.roomId}`)).status).toBe(204);

    for (const [c, reason] of [
      [kicked, 'kicked'],
      [ended, 'session-ended'],
      [deleted, 'room-deleted'],
    ] as const) {
      await expect
        .poll(async () => (await callsOf(c.roomId)).map((r) => [r.status, r.hangupReason]))
        .toEqual([['ended', reason]]);
      // Without a Telnyx API key only the stream closes; the caller then hangs up.
      c.call.hangup();
      const summary = await c.running;
      expect(summary.stream).toMatchObject({ closedBy: 'server', closeCode: 1000 });
      expect(summary.stream?.closeReason).toBe(reason);
      await expect
        .poll(() => hooksOf(c.record.id))
        .toEqual([
          ['call-started', null],
          ['call-answered', null],
          ['call-hangup', reason],
        ]);
      c.browser.wire.close();
    }
  });
});
