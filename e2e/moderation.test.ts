import Telnyx from 'telnyx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../packages/server/test/support/testServer.js';
import type { BrowserPage, E2eServer } from './support/harness.js';
import { openBrowserPage, startPageServer, startPalaver } from './support/harness.js';
import type { ClientView } from './support/sdkPage.js';
import { eventsNamed, inPage, seesAndHears, view } from './support/sdkPage.js';

// Session actions driven by the official `telnyx` SDK while two Chromium pages run the official
// @telnyx/video SDK, unmodified: what each participant sees and hears when a moderator mutes,
// kicks and ends.

/** Loud enough to be the fake microphone's beep, far above decoded silence. */
const AUDIBLE = 0.01;

describe('session actions as participants see them in the official SDK', () => {
  let palaver: E2eServer;
  let pages: { url: string; close(): Promise<void> };
  let alice: BrowserPage;
  let bob: BrowserPage;
  let api: ReturnType<typeof apiClient>;
  let telnyx: Telnyx;
  let roomId: string;
  let sessionId: string;
  let aliceId: string;
  let bobId: string;

  beforeAll(async () => {
    [palaver, pages] = await Promise.all([startPalaver(), startPageServer()]);
    api = apiClient(palaver.url, palaver.apiKey);
    telnyx = new Telnyx({ apiKey: palaver.apiKey, baseURL: `${palaver.url}/v2`, maxRetries: 0 });
    [alice, bob] = await Promise.all([
      openBrowserPage(pages.url, palaver.tlsPort),
      openBrowserPage(pages.url, palaver.tlsPort),
    ]);
    roomId = (await telnyx.rooms.create({ max_participants: 4 })).data?.id ?? '';
  });

  afterAll(async () => {
    await Promise.allSettled([alice?.close(), bob?.close()]);
    await pages?.close();
    await palaver?.close();
  });

  const connect = async (page: BrowserPage, name: string): Promise<string> => {
    const token = (await telnyx.rooms.actions.generateJoinClientToken(roomId, {})).data?.token;
    await inPage(page, 'connect', { roomId, token, context: name });
    await inPage(page, 'publish');
    return (await view(page)).localParticipantId;
  };

  const both = async (): Promise<[ClientView, ClientView]> => Promise.all([view(alice), view(bob)]);

  /** Polls until the page has heard silence from the room for a whole second. */
  const hearsSilence = async (page: BrowserPage): Promise<void> => {
    await expect
      .poll(
        async () => {
          await inPage(page, 'resetAudio');
          await new Promise((r) => setTimeout(r, 1200));
          const { audio } = await view(page);
          return Math.max(audio.mixedMaxRms, audio.streamMaxRms);
        },
        { timeout: 15_000, interval: 0 },
      )
      .toBeLessThan(AUDIBLE);
  };

  const aliceStreamAt = (v: ClientView) =>
    v.streams.find((s) => s.participantId === aliceId && s.key === 'self');

  it('connects two participants who see and hear each other', async () => {
    aliceId = await connect(alice, 'alice');
    bobId = await connect(bob, 'bob');
    await expect
      .poll(async () => (await both()).every((v) => seesAndHears(v)), { timeout: 30_000 })
      .toBe(true);
    sessionId = (await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id;
    expect(sessionId).toEqual(expect.any(String));
  });

  it('mutes a participant: everyone sees the audio censored and hears nothing from her', async () => {
    expect(
      await telnyx.rooms.sessions.actions.mute(sessionId, { participants: [aliceId] }),
    ).toEqual({ data: { result: 'ok' } });
    for (const page of [alice, bob]) {
      await expect
        .poll(async () => eventsNamed(await view(page), 'track_censored'))
        .toEqual([[aliceId, 'self', 'audio']]);
    }
    const [a, b] = await both();
    expect(aliceStreamAt(a)).toMatchObject({ origin: 'local', isAudioCensored: true });
    expect(aliceStreamAt(b)).toMatchObject({ origin: 'remote', isAudioCensored: true });
    // Her voice is gone from the mix and from her stream; her video still plays.
    await hearsSilence(bob);
    const frames = Object.values((await view(bob)).videos)[0]!.frames;
    await expect
      .poll(async () => Object.values((await view(bob)).videos)[0]!.frames)
      .toBeGreaterThan(frames + 5);
  });

  it('keeps her muted when she tries to unmute herself', async () => {
    await inPage(alice, 'unmuteSelf');
    const [a, b] = await both();
    expect(a.errors).toEqual([]);
    expect(aliceStreamAt(a)?.isAudioCensored).toBe(true);
    expect(aliceStreamAt(b)?.isAudioCensored).toBe(true);
    // Bob goes on hearing nothing from her for a while, and nobody saw her uncensored.
    await inPage(bob, 'resetAudio');
    await new Promise((r) => setTimeout(r, 2000));
    const after = await view(bob);
    expect(Math.max(after.audio.mixedMaxRms, after.audio.streamMaxRms)).toBeLessThan(AUDIBLE);
    expect(eventsNamed(after, 'track_uncensored')).toEqual([]);
    expect(eventsNamed(await view(alice), 'track_uncensored')).toEqual([]);
  });

  it('unmutes her: everyone sees the audio uncensored and Bob hears her again', async () => {
    expect(await telnyx.rooms.sessions.actions.unmute(sessionId, { participants: 'all' })).toEqual({
      data: { result: 'ok' },
    });
    for (const page of [alice, bob]) {
      await expect
        .poll(async () => eventsNamed(await view(page), 'track_uncensored'))
        .toEqual([[aliceId, 'self', 'audio']]);
    }
    expect(aliceStreamAt(await view(bob))?.isAudioCensored).toBe(false);
    await inPage(bob, 'resetAudio');
    await expect
      .poll(
        async () => {
          const { audio } = await view(bob);
          return Math.min(audio.mixedMaxRms, audio.streamMaxRms);
        },
        { timeout: 15_000 },
      )
      .toBeGreaterThan(AUDIBLE);
  });

  it('kicks a participant: the others see him leave as kicked, and his page is disconnected', async () => {
    expect(await telnyx.rooms.sessions.actions.kick(sessionId, { participants: [bobId] })).toEqual({
      data: { result: 'ok' },
    });
    // The record shows it as soon as the action answered.
    expect((await api('GET', `/v2/room_participants/${bobId}`)).body.data.left_at).toEqual(
      expect.any(String),
    );
    await expect
      .poll(async () => eventsNamed(await view(alice), 'participant_left'))
      .toEqual([[bobId]]);
    const a = await view(alice);
    expect(eventsNamed(a, 'participant_leaving')).toEqual([[bobId, 'kicked']]);
    const leaving = a.events.findIndex((e) => e.name === 'participant_leaving');
    const left = a.events.findIndex((e) => e.name === 'participant_left');
    expect(leaving).toBeLessThan(left);

    // Bob's SDK learns that he was kicked, then its connection ends.
    await expect.poll(async () => (await view(bob)).status).toBe('disconnected');
    const b = await view(bob);
    expect(eventsNamed(b, 'participant_leaving')).toEqual([[bobId, 'kicked']]);
    expect(eventsNamed(b, 'disconnected')).toHaveLength(1);
    console.log(
      'e2e kicked page disconnected with',
      JSON.stringify(eventsNamed(b, 'disconnected')),
    );

    // Alice stays, in the same session.
    expect(a.status).toBe('connected');
    expect((await api('GET', `/v2/room_participants/${aliceId}`)).body.data.left_at).toBeNull();
    expect((await api('GET', `/v2/room_sessions/${sessionId}`)).body.data.active).toBe(true);
  });

  it('ends the session: every page is disconnected and the session is over', async () => {
    bobId = await connect(bob, 'bob again');
    await expect
      .poll(async () => eventsNamed(await view(alice), 'participant_joined'))
      .toContainEqual([bobId]);
    expect((await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id).toBe(sessionId);

    expect(await telnyx.rooms.sessions.actions.end(sessionId)).toEqual({
      data: { result: 'ok' },
    });
    for (const page of [alice, bob]) {
      await expect
        .poll(async () => eventsNamed(await view(page), 'disconnected'))
        .toEqual([['session_terminated']]);
    }
    const session = (await api('GET', `/v2/room_sessions/${sessionId}?include_participants=true`))
      .body.data;
    expect(session).toMatchObject({ active: false, ended_at: expect.any(String) });
    expect(session.participants).toHaveLength(3);
    expect(session.participants.every((p: any) => typeof p.left_at === 'string')).toBe(true);
    expect((await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id).toBeNull();
    const again = await telnyx.rooms.sessions.actions.end(sessionId).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(Telnyx.UnprocessableEntityError);
  });
});
