import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../packages/server/test/support/testServer.js';
import type { BrowserPage, E2eServer } from './support/harness.js';
import { openBrowserPage, startPageServer, startPalaver } from './support/harness.js';
import type { ClientView } from './support/sdkPage.js';
import { eventsNamed, inPage, seesAndHears, view } from './support/sdkPage.js';

// Janus is killed with SIGKILL in the middle of a call between two Chromium pages running the
// official @telnyx/video SDK. The SDK has no reconnect of its own: the pages are told they were
// disconnected and join again, which works once the supervisor has Janus back. The store must
// show what the users lived through: the first session ended with both gone, a second one.

describe('a call through a Janus crash', () => {
  let palaver: E2eServer;
  let pages: { url: string; close(): Promise<void> };
  let alice: BrowserPage;
  let bob: BrowserPage;
  let api: ReturnType<typeof apiClient>;
  let roomId: string;
  let firstSession: string;
  let secondSession: string;

  beforeAll(async () => {
    [palaver, pages] = await Promise.all([startPalaver(), startPageServer()]);
    api = apiClient(palaver.url, palaver.apiKey);
    [alice, bob] = await Promise.all([
      openBrowserPage(pages.url, palaver.tlsPort),
      openBrowserPage(pages.url, palaver.tlsPort),
    ]);
    roomId = (await api('POST', '/v2/rooms', { max_participants: 4 })).body.data.id;
  });

  afterAll(async () => {
    await Promise.allSettled([alice?.close(), bob?.close()]);
    await pages?.close();
    await palaver?.close();
  });

  const join = async (page: BrowserPage, name: string): Promise<void> => {
    const token = (await api('POST', `/v2/rooms/${roomId}/actions/generate_join_client_token`, {}))
      .body.data.token;
    await inPage(page, 'connect', { roomId, token, context: name });
    await inPage(page, 'publish');
  };

  const both = async (): Promise<[ClientView, ClientView]> => Promise.all([view(alice), view(bob)]);

  const participantsOf = async (sessionId: string): Promise<any[]> =>
    (await api('GET', `/v2/room_sessions/${sessionId}/participants`)).body.data;

  it('disconnects both pages and ends the session when Janus is killed mid-call', async () => {
    await join(alice, 'alice');
    await join(bob, 'bob');
    await expect
      .poll(async () => (await both()).every((v) => seesAndHears(v)), { timeout: 30_000 })
      .toBe(true);
    firstSession = (await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id;
    expect(await participantsOf(firstSession)).toHaveLength(2);

    const supervisor = palaver.server.media!.supervisor;
    const restarted = supervisor.waitFor('restarted');
    const killed = supervisor.pid!;
    process.kill(killed, 'SIGKILL');

    // The gateway closes every connection (1012), which the SDK reports as `unknown`.
    for (const page of [alice, bob]) {
      await expect
        .poll(async () => eventsNamed(await view(page), 'disconnected'))
        .toEqual([['unknown']]);
    }
    // Nobody is left in the first session, and it ends after the grace.
    await expect
      .poll(async () => (await participantsOf(firstSession)).map((p) => p.left_at))
      .toEqual([expect.any(String), expect.any(String)]);
    await expect
      .poll(async () => (await api('GET', `/v2/room_sessions/${firstSession}`)).body.data)
      .toMatchObject({ active: false, ended_at: expect.any(String) });
    expect((await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id).toBeNull();

    await restarted;
    expect(supervisor.pid).not.toBe(killed);
  });

  it('lets both pages join again: they see and hear each other in a new session', async () => {
    await join(alice, 'alice');
    await join(bob, 'bob');
    await expect
      .poll(async () => (await both()).every((v) => seesAndHears(v)), { timeout: 30_000 })
      .toBe(true);
    const [a, b] = await both();
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    expect(eventsNamed(a, 'participant_joined')).toContainEqual([b.localParticipantId]);

    // Janus holds the room again in all three plugins, with both participants in it.
    const inJanus = await palaver.server.media!.rooms.getRoom(roomId);
    expect(inJanus.audiobridge?.participants).toBeGreaterThanOrEqual(2);
    expect(inJanus.videoroom?.participants).toBeGreaterThanOrEqual(2);
    expect(inJanus.textroom).toBeDefined();

    secondSession = (await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id;
    expect(secondSession).toEqual(expect.any(String));
    expect(secondSession).not.toBe(firstSession);
    expect((await participantsOf(secondSession)).map((p) => [p.id, p.left_at]).sort()).toEqual(
      [
        [a.localParticipantId, null],
        [b.localParticipantId, null],
      ].sort(),
    );
    // Chat works in the re-created TextRoom.
    await inPage(alice, 'send', 'still here');
    await expect
      .poll(async () => eventsNamed(await view(bob), 'message_received').map((e) => e[0]))
      .toContain(a.localParticipantId);
  });

  it('leaves nothing open once they hang up', async () => {
    await inPage(alice, 'disconnect');
    await inPage(bob, 'disconnect');
    await expect
      .poll(
        async () =>
          (await api('GET', `/v2/room_sessions?filter[room_id]=${roomId}&filter[active]=true`)).body
            .data,
      )
      .toEqual([]);
    const sessions = (
      await api('GET', `/v2/room_sessions?filter[room_id]=${roomId}&include_participants=true`)
    ).body.data;
    expect(sessions.map((s: any) => s.id).sort()).toEqual([firstSession, secondSession].sort());
    for (const session of sessions) {
      expect(session).toMatchObject({ active: false, ended_at: expect.any(String) });
      expect(session.participants).toHaveLength(2);
      for (const participant of session.participants) {
        expect(participant.left_at).toEqual(expect.any(String));
        expect(participant.left_at >= participant.joined_at).toBe(true);
        expect(participant.left_at <= session.ended_at).toBe(true);
      }
    }
  });
});
