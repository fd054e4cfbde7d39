import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientTokenIssuer } from '../packages/server/src/tokens/ClientTokenIssuer.js';
import { SigningKeySet } from '../packages/server/src/tokens/SigningKeySet.js';
import { apiClient } from '../packages/server/test/support/testServer.js';
import type { BrowserPage, E2eServer } from './support/harness.js';
import { openBrowserPage, startPageServer, startPalaver } from './support/harness.js';
import type { ClientView } from './support/sdkPage.js';
import { inPage, names, view } from './support/sdkPage.js';

// Two Chromium pages run the official @telnyx/video 1.0.2 bundle, unmodified, against Palaver:
// the SDK dials wss://video.telnyx.com/<roomId>/janus, which Chromium resolves to Palaver's TLS
// listener; tokens come from Palaver's REST API; Janus carries the media.

describe('the official @telnyx/video SDK in Chromium against Palaver', () => {
  let palaver: E2eServer;
  let pages: { url: string; close(): Promise<void> };
  let alice: BrowserPage;
  let bob: BrowserPage;
  let api: ReturnType<typeof apiClient>;
  let roomId: string;

  beforeAll(async () => {
    [palaver, pages] = await Promise.all([startPalaver(), startPageServer()]);
    api = apiClient(palaver.url, palaver.apiKey);
    [alice, bob] = await Promise.all([
      openBrowserPage(pages.url, palaver.tlsPort),
      openBrowserPage(pages.url, palaver.tlsPort),
    ]);
    roomId = (await api('POST', '/v2/rooms', { unique_name: 'e2e', max_participants: 4 })).body.data
      .id;
  });

  afterAll(async () => {
    await Promise.allSettled([alice?.close(), bob?.close()]);
    await pages?.close();
    await palaver?.close();
  });

  const tokenFor = async (): Promise<string> =>
    (await api('POST', `/v2/rooms/${roomId}/actions/generate_join_client_token`, {})).body.data
      .token;

  it('connects two participants who publish, subscribe to each other, see and hear each other, and chat', async () => {
    const connect = async (page: BrowserPage, name: string) =>
      inPage(page, 'connect', {
        roomId,
        token: await tokenFor(),
        context: JSON.stringify({ name }),
      });
    await connect(alice, 'alice');
    await inPage(alice, 'publish');
    await connect(bob, 'bob');
    await inPage(bob, 'publish');

    // Both see the other's video move and hear the other through the AudioBridge mix.
    await expect
      .poll(
        async () => {
          const [a, b] = await Promise.all([view(alice), view(bob)]);
          return [a, b].every((v) => {
            const remote = Object.values(v.videos)[0];
            return remote !== undefined && remote.frames >= 20 && v.audio.mixedMaxRms > 0.01;
          });
        },
        { timeout: 30_000, interval: 250 },
      )
      .toBe(true);

    const [a, b] = await Promise.all([view(alice), view(bob)]);
    for (const v of [a, b]) {
      expect(v.errors).toEqual([]);
      expect(names(v.events)).toContain('connected');
      expect(names(v.events)).toContain('subscription_started');
    }
    // Alice was there first: she sees Bob arrive and publish (Bob finds her in the state).
    expect(a.events).toContainEqual(
      expect.objectContaining({ name: 'participant_joined', args: [b.localParticipantId, null] }),
    );
    expect(a.events).toContainEqual(
      expect.objectContaining({
        name: 'stream_published',
        args: [b.localParticipantId, 'self', null],
      }),
    );
    expect(a.events).toContainEqual(
      expect.objectContaining({
        name: 'subscription_started',
        args: [b.localParticipantId, 'self', null],
      }),
    );
    expect(b.events).toContainEqual(
      expect.objectContaining({
        name: 'subscription_started',
        args: [a.localParticipantId, 'self', null],
      }),
    );

    // Remote video keeps advancing and is not black.
    const before = [a, b].map((v) => Object.values(v.videos)[0]!.frames);
    await new Promise((r) => setTimeout(r, 1500));
    const [a2, b2] = await Promise.all([view(alice), view(bob)]);
    [a2, b2].forEach((v, i) => {
      const remote = Object.values(v.videos)[0]!;
      expect(remote.frames).toBeGreaterThan(before[i]! + 5);
      expect(remote.luma).toBeGreaterThan(20);
      expect(remote.width).toBe(320);
    });

    // Messages go both ways over the TextRoom data channel.
    await inPage(alice, 'send', 'hello from alice');
    await inPage(bob, 'send', 'hello from bob');
    const received = async (page: BrowserPage) =>
      (await view(page)).events.filter((e) => e.name === 'message_received');
    await expect
      .poll(async () => (await received(bob)).map((e) => e.args[0]))
      .toContain(a.localParticipantId);
    await expect
      .poll(async () => (await received(alice)).map((e) => e.args[0]))
      .toContain(b.localParticipantId);
    expect((await received(bob)).find((e) => e.args[0] === a.localParticipantId)?.args[1]).toEqual({
      type: 'text',
      payload: 'hello from alice',
    });

    const timing = (v: ClientView) => {
      const remote = Object.values(v.videos)[0]!;
      return {
        initializeMs: v.timings.initializeMs,
        connectMs: v.timings.connectMs,
        connectToFirstRemoteFrameMs: (remote.firstFrameAt ?? NaN) - v.timings.connectStartedAt!,
        publishMs: v.timings.publishMs,
        subscriptionToFirstFrameMs: (remote.firstFrameAt ?? NaN) - remote.subscribedAt,
        remoteFramesSoFar: remote.frames,
        luma: remote.luma,
        mixedAudioPeakDbfs: Math.round(20 * Math.log10(v.audio.mixedMaxRms)),
        streamAudioPeakDbfs: Math.round(20 * Math.log10(v.audio.streamMaxRms)),
      };
    };
    console.log('e2e alice', JSON.stringify(timing(a2)));
    console.log('e2e bob', JSON.stringify(timing(b2)));
  });

  it('shows one active session with both participants and their contexts in the REST API', async () => {
    const room = (await api('GET', `/v2/rooms/${roomId}?include_sessions=true`)).body.data;
    expect(room.active_session_id).toEqual(expect.any(String));
    const sessions = (await api('GET', `/v2/room_sessions?filter[room_id]=${roomId}`)).body.data;
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ id: room.active_session_id, active: true });
    const participants = (
      await api('GET', `/v2/room_sessions/${room.active_session_id}/participants`)
    ).body.data;
    const [a, b] = await Promise.all([view(alice), view(bob)]);
    expect(participants).toHaveLength(2);
    expect(participants).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: a.localParticipantId,
          context: '{"name":"alice"}',
          left_at: null,
        }),
        expect.objectContaining({
          id: b.localParticipantId,
          context: '{"name":"bob"}',
          left_at: null,
        }),
      ]),
    );
  });

  it('records both leaving and ends the session once they disconnect', async () => {
    const sessionId = (await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id;
    await inPage(bob, 'disconnect');
    await expect.poll(async () => names((await view(alice)).events)).toContain('participant_left');
    await inPage(alice, 'disconnect');
    await expect.poll(async () => names((await view(alice)).events)).toContain('disconnected');

    await expect
      .poll(async () => (await api('GET', `/v2/room_sessions/${sessionId}/participants`)).body.data)
      .toEqual([
        expect.objectContaining({ left_at: expect.any(String) }),
        expect.objectContaining({ left_at: expect.any(String) }),
      ]);
    await expect
      .poll(async () => (await api('GET', `/v2/room_sessions/${sessionId}`)).body.data)
      .toMatchObject({ active: false, ended_at: expect.any(String) });
    expect((await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id).toBeNull();
    expect((await view(alice)).events.find((e) => e.name === 'disconnected')?.args[0]).toBe(
      'user_initiated',
    );
  });

  it('disconnects a participant whose token expired, keeps one that renewed it with updateClientToken, and ends it when the room is deleted', async () => {
    const room = (await api('POST', '/v2/rooms', {})).body.data.id;
    // Tokens signed by Palaver's key that expire 5 s from now.
    const issuer = new ClientTokenIssuer(await SigningKeySet.load(palaver.server.store), {
      now: () => Date.now() - 55_000,
    });
    const shortLived = () => issuer.sign('access', room, 'e2e', 60).token;
    await inPage(alice, 'connect', { roomId: room, token: shortLived(), context: 'alice' });
    await inPage(bob, 'connect', { roomId: room, token: shortLived(), context: 'bob' });
    const fresh = (await api('POST', `/v2/rooms/${room}/actions/generate_join_client_token`, {}))
      .body.data.token;
    await inPage(bob, 'updateToken', fresh);

    await expect
      .poll(async () => names((await view(alice)).events), { timeout: 10_000 })
      .toContain('disconnected');
    const a = await view(alice);
    // The SDK logs the 401 frame as "unauthorized" but reports the reason of the close that
    // follows, and it closes the socket itself without a code.
    expect(a.events.find((e) => e.name === 'disconnected')?.args[0]).toBe('unknown');
    expect(a.status).toBe('disconnected');
    await expect.poll(async () => names((await view(bob)).events)).toContain('participant_left');
    await new Promise((r) => setTimeout(r, 1000));
    const b = await view(bob);
    expect(b.status).toBe('connected');
    expect(names(b.events)).not.toContain('disconnected');

    const sessionId = (await api('GET', `/v2/rooms/${room}`)).body.data.active_session_id;
    const participants = (await api('GET', `/v2/room_sessions/${sessionId}/participants`)).body
      .data;
    expect(participants.find((p: any) => p.id === a.localParticipantId)?.left_at).toEqual(
      expect.any(String),
    );
    expect(participants.find((p: any) => p.id === b.localParticipantId)?.left_at).toBeNull();

    // Deleting the room ends Bob's connection: the SDK reports session_terminated (close 4000).
    expect((await api('DELETE', `/v2/rooms/${room}`)).status).toBe(204);
    await expect
      .poll(async () => (await view(bob)).events.find((e) => e.name === 'disconnected')?.args[0])
      .toBe('session_terminated');
    await expect
      .poll(async () => (await api('GET', `/v2/room_sessions/${sessionId}`)).body.data.active)
      .toBe(false);
  });
});
