import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JanusHandle } from '../../src/janus/index.js';
import { apiClient } from '../support/testServer.js';
import type { GatewayTestServer } from './support.js';
import {
  JanusWire,
  audioBridgeObserver,
  display,
  refusalLines,
  startGatewayServer,
} from './support.js';

// Session actions carried out on live connections through a real Janus, with plain clients
// that speak the Janus API like @telnyx/video (and can misbehave like a modified one).

describe('session actions on live connections', () => {
  let t: GatewayTestServer;
  let api: ReturnType<typeof apiClient>;
  /** A keyless Janus client, to look at what Janus holds. */
  let observer: JanusHandle;

  beforeAll(async () => {
    t = await startGatewayServer();
    api = apiClient(t.url, t.apiKey);
    observer = await audioBridgeObserver(t.server);
  });
  afterAll(async () => t?.close());

  interface Member {
    wire: JanusWire;
    participantId: string;
    rosterHandle: number;
    rosterId: string;
  }

  /** Connects and registers the way the SDK does (AudioBridge join, muted, no media). */
  const join = async (roomId: string, name: string): Promise<Member> => {
    const token = (await api('POST', `/v2/rooms/${roomId}/actions/generate_join_client_token`, {}))
      .body.data.token;
    const wire = await JanusWire.open(t.url, roomId, token);
    await wire.createSession();
    const rosterHandle = await wire.attach('audiobridge');
    const participantId = randomUUID();
    const reply = await wire.message(rosterHandle, {
      request: 'join',
      room: roomId,
      display: display({ participantId, external: name }),
      muted: true,
    });
    return { wire, participantId, rosterHandle, rosterId: reply.plugindata.data.id };
  };

  /** The participant's mixed-audio leg, joined unmuted as the SDK joins it. */
  const mixerLeg = async (member: Member, roomId: string) => {
    const handle = await member.wire.attach('audiobridge');
    const reply = await member.wire.message(handle, {
      request: 'join',
      room: roomId,
      display: display({
        participantId: member.participantId,
        stream: { id: randomUUID(), key: 'audiobridge', isAudioEnabled: true },
      }),
      muted: false,
    });
    return { handle, id: reply.plugindata.data.id as string };
  };

  /** Janus's own view: AudioBridge id → muted. */
  const mutedInJanus = async (roomId: string): Promise<Record<string, boolean>> => {
    const reply = await observer.message({ request: 'listparticipants', room: roomId });
    const list = reply.data.participants as { id: string; muted: boolean }[];
    return Object.fromEntries(list.map((p) => [p.id, p.muted]));
  };

  const act = (sessionId: string, action: string, body?: unknown) =>
    api('POST', `/v2/room_sessions/${sessionId}/actions/${action}`, body);

  it('mutes a participant so that it cannot unmute itself, and unmutes it', async () => {
    const roomId = (await api('POST', '/v2/rooms', {})).body.data.id;
    const alice = await join(roomId, 'alice');
    const bob = await join(roomId, 'bob');
    const mixer = await mixerLeg(alice, roomId);
    await expect
      .poll(async () => (await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id)
      .toEqual(expect.any(String));
    const sessionId = (await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id;

    // Everyone's roster hears of it (AudioBridge's participant update).
    const bobHears = bob.wire.next((f) =>
      f.plugindata?.data?.participants?.some((p: any) => p.id === mixer.id && p.muted === true),
    );
    expect(await act(sessionId, 'mute', { participants: [alice.participantId] })).toMatchObject({
      status: 200,
      body: { data: { result: 'ok' } },
    });
    await bobHears;
    expect(await mutedInJanus(roomId)).toMatchObject({ [mixer.id]: true, [alice.rosterId]: true });

    // Her own unmute is refused and never reaches Janus.
    const refusals = refusalLines(t.logs).length;
    expect(
      await alice.wire.message(mixer.handle, { request: 'configure', muted: false }),
    ).toMatchObject({
      status_code: 403,
      error_message: 'muted by a moderator: cannot unmute',
    });
    expect(refusalLines(t.logs).slice(refusals)).toEqual([
      expect.objectContaining({ request: 'message audiobridge configure', status: 403 }),
    ]);
    // A new leg joins muted, and the old one stays muted.
    const second = await mixerLeg(alice, roomId);
    await expect
      .poll(() => mutedInJanus(roomId))
      .toMatchObject({ [mixer.id]: true, [second.id]: true });
    expect(await mutedInJanus(roomId)).toMatchObject({ [bob.rosterId]: true });

    expect((await act(sessionId, 'unmute', { participants: 'all' })).status).toBe(200);
    expect(await mutedInJanus(roomId)).toMatchObject({
      [mixer.id]: false,
      [second.id]: false,
      // Rosters are joined muted by the SDK and stay so.
      [alice.rosterId]: true,
    });
    // Now she may unmute herself again.
    expect(
      (await alice.wire.message(second.handle, { request: 'configure', muted: true })).plugindata
        .data,
    ).toMatchObject({ audiobridge: 'event', result: 'ok' });
    expect(
      (await alice.wire.message(second.handle, { request: 'configure', muted: false })).plugindata
        .data,
    ).toMatchObject({ audiobridge: 'event', result: 'ok' });
    alice.wire.close();
    bob.wire.close();
  });

  it('kicks a participant: everyone hears who was kicked, it leaves at once, and a client that stays is closed', async () => {
    const roomId = (await api('POST', '/v2/rooms', {})).body.data.id;
    const alice = await join(roomId, 'alice');
    const bob = await join(roomId, 'bob');
    await mixerLeg(bob, roomId);
    await expect
      .poll(async () => (await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id)
      .toEqual(expect.any(String));
    const sessionId = (await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id;

    const aliceHears = alice.wire.next((f) => f.plugindata?.data?.kicked === bob.rosterId);
    const bobHears = bob.wire.next((f) => f.plugindata?.data?.kicked === bob.rosterId);
    expect(await act(sessionId, 'kick', { participants: [bob.participantId] })).toMatchObject({
      status: 200,
      body: { data: { result: 'ok' } },
    });
    // The records show it as soon as the action answered.
    const participant = async (id: string) =>
      (await api('GET', `/v2/room_participants/${id}`)).body.data;
    expect((await participant(bob.participantId)).left_at).toEqual(expect.any(String));
    expect((await participant(alice.participantId)).left_at).toBeNull();
    await aliceHears;
    await bobHears;
    // Bob ignores it (a modified client): nothing but leaving passes, then the gateway closes.
    expect(
      await bob.wire.request({ janus: 'attach', plugin: 'janus.plugin.videoroom' }),
    ).toMatchObject({ status_code: 403, error_message: 'removed from the room by a moderator' });
    expect(await bob.wire.closed).toEqual({ code: 4000, reason: 'removed from the room' });
    expect(Object.keys(await mutedInJanus(roomId))).toEqual([alice.rosterId]);

    expect((await api('GET', `/v2/room_sessions/${sessionId}`)).body.data.active).toBe(true);
    alice.wire.close();
  });

  it('ends a session: every connection closes (session_terminated), everyone leaves, the session ends', async () => {
    const roomId = (await api('POST', '/v2/rooms', {})).body.data.id;
    const alice = await join(roomId, 'alice');
    const bob = await join(roomId, 'bob');
    await expect
      .poll(async () => (await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id)
      .toEqual(expect.any(String));
    const sessionId = (await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id;

    expect(await act(sessionId, 'end')).toMatchObject({
      status: 200,
      body: { data: { result: 'ok' } },
    });
    expect(await alice.wire.closed).toEqual({ code: 4000, reason: 'session ended' });
    expect(await bob.wire.closed).toEqual({ code: 4000, reason: 'session ended' });
    const session = (await api('GET', `/v2/room_sessions/${sessionId}?include_participants=true`))
      .body.data;
    expect(session).toMatchObject({ active: false, ended_at: expect.any(String) });
    expect(session.participants.map((p: any) => p.left_at)).toEqual([
      expect.any(String),
      expect.any(String),
    ]);
    expect((await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id).toBeNull();
    expect((await act(sessionId, 'end')).status).toBe(422);
    // The Janus rooms go after the grace, as when people leave.
    await expect.poll(() => t.server.media!.rooms.getRoom(roomId)).toEqual({ roomId });

    // Clients may come back: that is a new session.
    const again = await join(roomId, 'alice');
    await expect
      .poll(async () => (await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id)
      .toEqual(expect.any(String));
    expect((await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id).not.toBe(
      sessionId,
    );
    again.wire.close();
  });
  it('ends a session the store alone still shows open without touching the live one', async () => {
    const roomId = (await api('POST', '/v2/rooms', {})).body.data.id;
    const alice = await join(roomId, 'alice');
    await expect
      .poll(async () => (await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id)
      .toEqual(expect.any(String));
    const live = (await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id;
    // As a crashed run on another node could have left it.
    const stale = randomUUID();
    const at = new Date(Date.now() - 60_000).toISOString();
    await t.server.store.sessions.insert({
      id: stale,
      room_id: roomId,
      active: 1,
      created_at: at,
      updated_at: at,
      ended_at: null,
    });

    expect((await act(stale, 'end')).status).toBe(200);
    expect((await api('GET', `/v2/room_sessions/${stale}`)).body.data.active).toBe(false);
    expect((await api('GET', `/v2/room_sessions/${live}`)).body.data.active).toBe(true);
    expect(alice.wire.open).toBe(true);
    expect((await alice.wire.request({ janus: 'keepalive' }, { untilEvent: false })).janus).toBe(
      'ack',
    );
    alice.wire.close();
  });
});
