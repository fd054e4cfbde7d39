import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoomGateway } from '../../src/gateway/RoomGateway.js';
import type { JanusHandle } from '../../src/janus/index.js';
import { apiClient } from '../support/testServer.js';
import type { GatewayTestServer } from './support.js';
import { JanusWire, audioBridgeObserver, display, startGatewayServer } from './support.js';

// A client whose network dies silently (no FIN/RST reaches the server) and comes back: the
// gateway drops the dead connection by itself, a new connection with the same participant id
// takes the old one's place at once, and a participant a moderator kicked stays out.

describe('silent drops, takeovers and kicked participants', () => {
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

  const newRoom = async (): Promise<string> => (await api('POST', '/v2/rooms', {})).body.data.id;

  const joinToken = async (roomId: string): Promise<string> =>
    (await api('POST', `/v2/rooms/${roomId}/actions/generate_join_client_token`, {})).body.data
      .token;

  /** Connects with a fresh join token and registers the way the SDK does. */
  const join = async (roomId: string, participantId: string, baseUrl = t.url) => {
    const wire = await JanusWire.open(baseUrl, roomId, await joinToken(roomId));
    await wire.createSession();
    const roster = await wire.attach('audiobridge');
    const reply = await wire.message(roster, {
      request: 'join',
      room: roomId,
      display: display({ participantId, external: 'ctx' }),
      muted: true,
    });
    return { wire, roster, reply };
  };

  const rosterIds = async (roomId: string): Promise<string[]> => {
    const reply = await observer.message({ request: 'listparticipants', room: roomId });
    return (reply.data.participants as { id: string }[]).map((p) => p.id).sort();
  };

  const activeSession = async (roomId: string): Promise<string> => {
    await expect
      .poll(async () => (await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id)
      .toEqual(expect.any(String));
    return (await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id;
  };

  const act = async (sessionId: string, action: string, body?: unknown): Promise<number> =>
    (await api('POST', `/v2/room_sessions/${sessionId}/actions/${action}`, body)).status;

  const participants = async (sessionId: string) =>
    (await api('GET', `/v2/room_sessions/${sessionId}/participants`)).body.data as {
      id: string;
      left_at: string | null;
    }[];

  it('drops a client that stops answering pings within two intervals, and keeps an idle one that answers', async () => {
    const intervalMs = 400;
    const gateway = new RoomGateway({
      logger: pino({ level: 'silent' }),
      tokens: t.server.tokens,
      rooms: t.server.store.rooms,
      presence: t.server.presence,
      media: { url: t.server.media!.supervisor.url, engine: t.server.media!.rooms },
      roomGraceMs: 300,
      livenessIntervalMs: intervalMs,
    });
    const http = createServer();
    gateway.attach(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    try {
      const roomId = await newRoom();
      const alice = await join(roomId, randomUUID(), url);
      const bob = await join(roomId, randomUUID(), url);
      const sessionId = await activeSession(roomId);
      expect(await rosterIds(roomId)).toEqual(
        [alice.reply.plugindata.data.id, bob.reply.plugindata.data.id].sort(),
      );

      const silentAt = Date.now();
      alice.wire.goSilent();
      await expect
        .poll(() => gateway.connections(roomId).length, { timeout: 5000, interval: 20 })
        .toBe(1);
      const droppedAfter = Date.now() - silentAt;
      expect(droppedAfter).toBeLessThan(2 * intervalMs + 400);
      // Its Janus session went with it (Janus tears it down once its transport is gone), and
      // the participant left.
      await expect
        .poll(() => rosterIds(roomId), { timeout: 3000, interval: 50 })
        .toEqual([bob.reply.plugindata.data.id]);
      await expect
        .poll(async () => (await participants(sessionId)).filter((p) => p.left_at === null).length)
        .toBe(1);

      // Bob sends nothing but answers pings: he stays for many intervals.
      await new Promise((resolve) => setTimeout(resolve, 4 * intervalMs));
      expect(bob.wire.open).toBe(true);
      expect(gateway.connections(roomId)).toHaveLength(1);

      alice.wire.resume();
      // The server ended the TCP connection without a close frame (it never reached her).
      expect((await alice.wire.closed).code).toBe(1006);
      bob.wire.close();
    } finally {
      await gateway.close();
      await new Promise((resolve) => http.close(resolve));
    }
  });

  it('lets a new connection with the same participant id take over a silent one at once: the participant continues', async () => {
    const roomId = await newRoom();
    const participantId = randomUUID();
    const first = await join(roomId, participantId);
    const bob = await join(roomId, randomUUID());
    const sessionId = await activeSession(roomId);
    await expect
      .poll(async () => (await participants(sessionId)).map((p) => p.id).sort())
      .toEqual(expect.arrayContaining([participantId]));
    // A moderator mute holds across the takeover.
    expect(await act(sessionId, 'mute', { participants: [participantId] })).toBe(200);

    first.wire.goSilent();
    const bobSees: string[] = [];
    const oldRoster = first.reply.plugindata.data.id as string;
    const seen = bob.wire.next((f) => {
      const data = f.plugindata?.data;
      if (data?.leaving === oldRoster) {
        bobSees.push('left');
      }
      if (data?.participants?.some((p: any) => p.id !== oldRoster && p.display !== undefined)) {
        bobSees.push('joined');
      }
      return bobSees.includes('joined');
    });
    const startedAt = Date.now();
    const second = await join(roomId, participantId);
    expect(second.reply.plugindata.data).toMatchObject({ audiobridge: 'joined', room: roomId });
    expect(Date.now() - startedAt).toBeLessThan(1500);
    // Others see the old registration leave before the new one joins, never both at once.
    await seen;
    expect(bobSees).toEqual(['left', 'joined']);
    expect(await rosterIds(roomId)).toEqual(
      [second.reply.plugindata.data.id, bob.reply.plugindata.data.id].sort(),
    );
    // The old connection was closed with its own code once it could hear it.
    first.wire.resume();
    expect(await first.wire.closed).toEqual({
      code: 4002,
      reason: 'replaced by a new connection of this participant',
    });
    // Same record, still present: no leave and rejoin.
    expect(await participants(sessionId)).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: participantId, left_at: null })]),
    );
    expect((await participants(sessionId)).filter((p) => p.id !== participantId)).toHaveLength(1);
    // The mute came along: the new connection cannot unmute itself.
    const mixer = await second.wire.attach('audiobridge');
    expect(
      await second.wire.message(mixer, {
        request: 'join',
        room: roomId,
        display: display({ participantId, stream: { id: randomUUID(), key: 'audiobridge' } }),
        muted: false,
      }),
    ).toMatchObject({ plugindata: { data: { audiobridge: 'joined' } } });
    expect(await second.wire.message(mixer, { request: 'configure', muted: false })).toMatchObject({
      status_code: 403,
      error_message: 'muted by a moderator: cannot unmute',
    });

    // The REST API still reaches the participant through the new connection.
    expect(await act(sessionId, 'kick', { participants: [participantId] })).toBe(200);
    expect(await second.wire.closed).toEqual({ code: 4000, reason: 'removed from the room' });
    bob.wire.close();
  });

  it('refuses a kicked participant id for the rest of the session, even with a valid token', async () => {
    const roomId = await newRoom();
    const mallory = randomUUID();
    const kicked = await join(roomId, mallory);
    const alice = await join(roomId, randomUUID());
    const sessionId = await activeSession(roomId);
    expect(await act(sessionId, 'kick', { participants: [mallory] })).toBe(200);
    kicked.wire.close();

    const again = await join(roomId, mallory);
    expect(again.reply).toMatchObject({
      janus: 'error',
      status_code: 403,
      error_message: `participant ${mallory} was removed from the room by a moderator`,
    });
    await expect
      .poll(() => rosterIds(roomId), { timeout: 3000, interval: 50 })
      .toEqual([alice.reply.plugindata.data.id]);
    await expect
      .poll(async () => (await participants(sessionId)).filter((p) => p.left_at === null))
      .toHaveLength(1);
    again.wire.close();

    // Once the session is over, the next one is open to the id again.
    expect(await act(sessionId, 'end')).toBe(200);
    await alice.wire.closed;
    const next = await join(roomId, mallory);
    expect(next.reply.plugindata.data).toMatchObject({ audiobridge: 'joined' });
    expect(await activeSession(roomId)).not.toBe(sessionId);
    next.wire.close();
  });
});
