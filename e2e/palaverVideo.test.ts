import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../packages/server/test/support/testServer.js';
import type { BrowserPage, E2eServer } from './support/harness.js';
import { openBrowserPage, startPageServer, startPalaver } from './support/harness.js';
import { startPalaverVideoPageServer } from './support/palaverVideoPage.js';
import type { ClientView } from './support/sdkPage.js';
import { eventsNamed, inPage, names, view } from './support/sdkPage.js';

// Two Chromium pages run @palaver/video (its one-file bundle) and a third the official
// @telnyx/video 1.0.2, unmodified, in one Palaver room over TLS: they see and hear each other,
// chat across the two SDKs, see a moderator mute, and our SDK rejoins after its connection drops.

/** Loud enough to be the fake microphone's beep, far above decoded silence. */
const AUDIBLE = 0.01;

interface PalaverView extends ClientView {
  videos: Record<string, ClientView['videos'][string] & { starts: number }>;
}

/** Whether every other participant's video moves on this page and the room is heard. */
const seesEveryone = (v: ClientView, others: string[], minFrames = 20): boolean =>
  others.every((id) => (v.videos[`${id}/self`]?.frames ?? 0) >= minFrames) &&
  v.audio.mixedMaxRms > AUDIBLE;

/** The events of who is in the room and of the room's own connection, as a user follows it. */
const PRESENCE_EVENTS = new Set([
  'participant_joined',
  'participant_leaving',
  'participant_left',
  'reconnecting',
  'reconnected',
  'disconnected',
]);

/** The page's presence events from its `from`-th event on, as `[name, ...args]` (no state). */
const presence = (v: ClientView, from: number): unknown[][] =>
  v.events
    .slice(from)
    .filter((e) => PRESENCE_EVENTS.has(e.name))
    .map((e) => [e.name, ...e.args.slice(0, -1)]);

describe('@palaver/video in Chromium, beside the official SDK', () => {
  let palaver: E2eServer;
  let officialPages: { url: string; close(): Promise<void> };
  let ourPages: { url: string; close(): Promise<void> };
  let ana: BrowserPage;
  let ben: BrowserPage;
  let tel: BrowserPage;
  let api: ReturnType<typeof apiClient>;
  let roomId: string;
  const ids: Record<'ana' | 'ben' | 'tel', string> = { ana: '', ben: '', tel: '' };

  beforeAll(async () => {
    [palaver, officialPages, ourPages] = await Promise.all([
      startPalaver(),
      startPageServer(),
      startPalaverVideoPageServer(),
    ]);
    api = apiClient(palaver.url, palaver.apiKey);
    [ana, ben, tel] = await Promise.all([
      openBrowserPage(ourPages.url, palaver.tlsPort),
      openBrowserPage(ourPages.url, palaver.tlsPort),
      openBrowserPage(officialPages.url, palaver.tlsPort),
    ]);
    roomId = (await api('POST', '/v2/rooms', { unique_name: 'mixed-sdks', max_participants: 5 }))
      .body.data.id;
  });

  afterAll(async () => {
    await Promise.allSettled([ana?.close(), ben?.close(), tel?.close()]);
    await officialPages?.close();
    await ourPages?.close();
    await palaver?.close();
  });

  const tokenFor = async (): Promise<string> =>
    (await api('POST', `/v2/rooms/${roomId}/actions/generate_join_client_token`, {})).body.data
      .token;

  const all = (): Promise<PalaverView[]> =>
    Promise.all([ana, ben, tel].map((page) => view(page) as Promise<PalaverView>));

  it('lets two pages on @palaver/video and one on @telnyx/video see and hear each other', async () => {
    const server = `https://127.0.0.1:${palaver.tlsPort}`;
    for (const [page, name] of [
      [ana, 'ana'],
      [ben, 'ben'],
    ] as const) {
      await inPage(page, 'connect', {
        roomId,
        token: await tokenFor(),
        context: JSON.stringify({ name }),
        server,
      });
      await inPage(page, 'publish');
      ids[name] = (await view(page)).localParticipantId;
    }
    await inPage(tel, 'connect', { roomId, token: await tokenFor(), context: '{"name":"tel"}' });
    await inPage(tel, 'publish');
    ids.tel = (await view(tel)).localParticipantId;

    await expect
      .poll(
        async () => {
          const [a, b, t] = await all();
          return [
            seesEveryone(a!, [ids.ben, ids.tel]),
            seesEveryone(b!, [ids.ana, ids.tel]),
            seesEveryone(t!, [ids.ana, ids.ben]),
          ];
        },
        { timeout: 45_000, interval: 500 },
      )
      .toEqual([true, true, true]);

    const [a, b, t] = await all();
    for (const v of [a!, b!, t!]) {
      expect(v.errors).toEqual([]);
      expect(v.status).toBe('connected');
      for (const video of Object.values(v.videos)) {
        expect(video.luma).toBeGreaterThan(0);
      }
    }
    // Ana was first: she heard of Ben and of the official page's participant as they came.
    expect(eventsNamed(a!, 'participant_joined')).toEqual(
      expect.arrayContaining([[ids.ben], [ids.tel]]),
    );
    expect(eventsNamed(a!, 'stream_published')).toEqual(
      expect.arrayContaining([
        [ids.ben, 'self'],
        [ids.tel, 'self'],
      ]),
    );
    // The official SDK saw Ana and Ben (already there) in its state, with their contexts.
    expect(t!.streams.map((s) => s.participantId)).toEqual(
      expect.arrayContaining([ids.ana, ids.ben]),
    );
    console.log(
      'e2e @palaver/video ana',
      JSON.stringify({
        initializeMs: a!.timings.initializeMs,
        connectMs: a!.timings.connectMs,
        publishMs: a!.timings.publishMs,
      }),
    );
  });

  it('carries chat messages both ways between the two SDKs', async () => {
    await inPage(ana, 'send', 'hello from palaver');
    await inPage(tel, 'send', 'hello from telnyx');
    await expect
      .poll(async () => {
        const [a, b, t] = await all();
        return [
          eventsNamed(t!, 'message_received').map((args) => args[1]),
          eventsNamed(b!, 'message_received').map((args) => args[1]),
          eventsNamed(a!, 'message_received').map((args) => args[0]),
        ];
      })
      .toEqual([
        expect.arrayContaining([{ type: 'text', payload: 'hello from palaver' }]),
        expect.arrayContaining([
          { type: 'text', payload: 'hello from palaver' },
          { type: 'text', payload: 'hello from telnyx' },
        ]),
        expect.arrayContaining([ids.tel]),
      ]);
  });

  it('shows a screen share as a second stream on every page', async () => {
    await inPage(ana, 'share');
    await expect
      .poll(
        async () => {
          const [b, t] = await Promise.all([view(ben), view(tel)]);
          return [b, t].map((v) => (v.videos[`${ids.ana}/presentation`]?.frames ?? 0) >= 10);
        },
        { timeout: 20_000, interval: 500 },
      )
      .toEqual([true, true]);
    const [b, t] = await Promise.all([view(ben), view(tel)]);
    for (const v of [b, t]) {
      expect(eventsNamed(v, 'stream_published')).toContainEqual([ids.ana, 'presentation']);
      expect(v.videos[`${ids.ana}/presentation`]?.width).toBe(640);
      expect(v.videos[`${ids.ana}/self`]?.frames).toBeGreaterThan(0);
    }
  });

  it('shows a moderator mute from the REST API as track_censored on every page', async () => {
    const sessionId = (await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id;
    const muted = await api('POST', `/v2/room_sessions/${sessionId}/actions/mute`, {
      participants: [ids.ben],
    });
    expect(muted.status).toBe(200);
    await expect
      .poll(async () => (await all()).map((v) => eventsNamed(v, 'track_censored')), {
        timeout: 10_000,
      })
      .toEqual([
        [[ids.ben, 'self', 'audio']],
        [[ids.ben, 'self', 'audio']],
        [[ids.ben, 'self', 'audio']],
      ]);
    const unmuted = await api('POST', `/v2/room_sessions/${sessionId}/actions/unmute`, {
      participants: [ids.ben],
    });
    expect(unmuted.status).toBe(200);
    await expect
      .poll(async () => (await all()).map((v) => eventsNamed(v, 'track_uncensored').length), {
        timeout: 10_000,
      })
      .toEqual([1, 1, 1]);
  });

  it('rejoins with the same participant id after its connection drops, and the media resumes', async () => {
    const before = (await view(ana)) as PalaverView;
    const startsBefore = before.videos[`${ids.ben}/self`]?.starts ?? 0;
    await inPage(ana, 'resetAudio');
    // The server ends Ana's connection as it does when the media server restarts (1012).
    palaver.server.gateway?.participant(roomId, ids.ana)?.close(1012, 'test: connection dropped');

    await expect
      .poll(async () => names((await view(ana)).events), { timeout: 20_000 })
      .toContain('reconnected');
    await expect
      .poll(
        async () => {
          const a = (await view(ana)) as PalaverView;
          const fromBen = a.videos[`${ids.ben}/self`];
          const fromTel = a.videos[`${ids.tel}/self`];
          return (
            (fromBen?.starts ?? 0) > startsBefore &&
            (fromBen?.frames ?? 0) >= 20 &&
            (fromTel?.frames ?? 0) >= 20 &&
            a.audio.mixedMaxRms > AUDIBLE
          );
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(true);
    const a = await view(ana);
    expect(a.localParticipantId).toBe(ids.ana);
    expect(a.status).toBe('connected');
    expect(eventsNamed(a, 'reconnecting')[0]).toEqual([1, 'network_error']);
    expect(a.errors).toEqual([]);

    // Ben (on @palaver/video) saw Ana go and come back, and sees her video again.
    await expect
      .poll(
        async () => {
          const b = (await view(ben)) as PalaverView;
          return (
            names(b.events).includes('participant_left') &&
            (b.videos[`${ids.ana}/self`]?.starts ?? 0) >= 2 &&
            (b.videos[`${ids.ana}/self`]?.frames ?? 0) >= 20
          );
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(true);
    // The official SDK saw her leave and join again under the same id, and publish.
    await expect
      .poll(async () => {
        const t = await view(tel);
        return [
          eventsNamed(t, 'participant_left').some(([id]) => id === ids.ana),
          eventsNamed(t, 'participant_joined').some(([id]) => id === ids.ana),
          eventsNamed(t, 'stream_published').some(([id]) => id === ids.ana),
        ];
      })
      .toEqual([true, true, true]);
  });

  it('shows a REST kick on both SDKs, and the kicked page is disconnected as kicked', async () => {
    // Each page keeps every event since it connected (Ben saw Ana leave and come back in the
    // rejoin above): what the kick shows is what comes after this point.
    const eventCount = async (page: BrowserPage): Promise<number> =>
      (await view(page)).events.length;
    const [fromAna, fromBen, fromTel] = await Promise.all([
      eventCount(ana),
      eventCount(ben),
      eventCount(tel),
    ]);
    const sessionId = (await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id;
    const kicked = await api('POST', `/v2/room_sessions/${sessionId}/actions/kick`, {
      participants: [ids.ben],
    });
    expect(kicked.status).toBe(200);
    // Ben is told he is leaving as kicked, then the room ends for him as kicked: nothing else.
    await expect
      .poll(async () => presence(await view(ben), fromBen), { timeout: 10_000 })
      .toEqual([
        ['participant_leaving', ids.ben, 'kicked'],
        ['disconnected', 'kicked'],
      ]);
    expect((await view(ben)).status).toBe('disconnected');
    // Ana (on @palaver/video) and the official SDK see him leave as kicked, then gone.
    const benKickedAndGone = [
      ['participant_leaving', ids.ben, 'kicked'],
      ['participant_left', ids.ben],
    ];
    await expect
      .poll(async () => [presence(await view(ana), fromAna), presence(await view(tel), fromTel)], {
        timeout: 10_000,
      })
      .toEqual([benKickedAndGone, benKickedAndGone]);
  });

  it('leaves: every page sees the others go', async () => {
    await inPage(tel, 'disconnect');
    await expect
      .poll(async () => eventsNamed(await view(ana), 'participant_left').map(([id]) => id))
      .toEqual(expect.arrayContaining([ids.ben, ids.tel]));
    await inPage(ana, 'disconnect');
    const a = await view(ana);
    expect(eventsNamed(a, 'disconnected').at(-1)).toEqual(['user_initiated']);
    expect(a.status).toBe('disconnected');
  });
});
