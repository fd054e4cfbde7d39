import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientTokenIssuer } from '../../src/tokens/ClientTokenIssuer.js';
import { SigningKeySet } from '../../src/tokens/SigningKeySet.js';
import { apiClient } from '../support/testServer.js';
import type { GatewayTestServer } from './support.js';
import { JanusWire, display, refusalLines, startGatewayServer } from './support.js';

// The room gateway in front of a real Janus, driven by a plain WebSocket client that speaks the
// Janus API the way @telnyx/video does. (The SDK itself runs in e2e/.)

describe('the room gateway', () => {
  let t: GatewayTestServer;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    t = await startGatewayServer();
    api = apiClient(t.url, t.apiKey);
  });
  afterAll(async () => t?.close());

  const newRoom = async (settings: Record<string, unknown> = {}): Promise<string> =>
    (await api('POST', '/v2/rooms', settings)).body.data.id;

  const joinToken = async (roomId: string, ttl?: number): Promise<string> =>
    (
      await api('POST', `/v2/rooms/${roomId}/actions/generate_join_client_token`, {
        ...(ttl !== undefined && { token_ttl_secs: ttl }),
      })
    ).body.data.token;

  /** A token signed with the server's key as if minted `agoMs` earlier. */
  const backdatedToken = async (
    roomId: string,
    agoMs: number,
    ttlSecs: number,
  ): Promise<string> => {
    const issuer = new ClientTokenIssuer(await SigningKeySet.load(t.server.store), {
      now: () => Date.now() - agoMs,
    });
    return issuer.sign('access', roomId, 'test', ttlSecs).token;
  };

  const connect = async (roomId: string, token?: string): Promise<JanusWire> =>
    JanusWire.open(t.url, roomId, token ?? (await joinToken(roomId)));

  /** Registers a participant the way the SDK does: an AudioBridge handle joined muted. */
  const register = async (
    wire: JanusWire,
    roomId: string,
    participantId = randomUUID(),
    context = '{"name":"alice"}',
  ) => {
    await wire.createSession();
    const handle = await wire.attach('audiobridge');
    const reply = await wire.message(handle, {
      request: 'join',
      room: roomId,
      display: display({ participantId, external: context, canReceiveMessages: true }),
      muted: true,
    });
    return { handle, participantId, reply };
  };

  const janusRoom = (roomId: string) => t.server.media!.rooms.getRoom(roomId);

  it('opens the Janus rooms, records the session and participant, and ends both after the client leaves', async () => {
    const roomId = await newRoom();
    expect(await janusRoom(roomId)).toEqual({ roomId });

    const wire = await connect(roomId);
    const { reply, participantId } = await register(wire, roomId);
    expect(reply.plugindata.data).toMatchObject({ audiobridge: 'joined', room: roomId });
    expect(await janusRoom(roomId)).toMatchObject({
      audiobridge: { participants: 1 },
      videoroom: { participants: 0 },
      textroom: { participants: 0 },
    });

    await expect
      .poll(async () => (await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id)
      .toBeTypeOf('string');
    const sessionId = (await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id;
    const participants = (await api('GET', `/v2/room_sessions/${sessionId}/participants`)).body
      .data;
    expect(participants).toEqual([
      expect.objectContaining({
        id: participantId,
        session_id: sessionId,
        context: '{"name":"alice"}',
        left_at: null,
      }),
    ]);

    wire.close();
    await expect
      .poll(async () => (await api('GET', `/v2/room_participants/${participantId}`)).body.data)
      .toMatchObject({ left_at: expect.any(String) });
    await expect
      .poll(async () => (await api('GET', `/v2/room_sessions/${sessionId}`)).body.data)
      .toMatchObject({ active: false, ended_at: expect.any(String) });
    expect((await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id).toBeNull();
    // No idle mixers: the Janus rooms go after the grace.
    await expect.poll(() => janusRoom(roomId)).toEqual({ roomId });
  });

  it("hands out the room's secret TextRoom id in janus_room_id, and only to clients of that room", async () => {
    // Kept open: the Janus rooms live while someone is connected.
    const wires: JanusWire[] = [];
    const setup = async (roomId: string) => {
      const wire = await connect(roomId);
      await wire.createSession();
      const handle = await wire.attach('textroom');
      const reply = await wire.message(handle, { request: 'setup', room: roomId });
      wires.push(wire);
      return reply;
    };
    const [roomA, roomB] = [await newRoom(), await newRoom()];
    const [replyA, replyB] = [await setup(roomA), await setup(roomB)];
    expect(replyA.plugindata.data).toEqual({
      textroom: 'event',
      result: 'ok',
      janus_room_id: expect.any(String),
    });
    expect(replyA.jsep.type).toBe('offer');
    const [textA, textB] = [
      replyA.plugindata.data.janus_room_id,
      replyB.plugindata.data.janus_room_id,
    ];
    expect(textA).not.toBe(textB);
    expect([textA, textB]).not.toContain(roomA);
    expect([textA, textB]).not.toContain(roomB);

    // A client that knows room B's id finds no chat room under it: joining B's chat takes the
    // secret id, which only B's clients are given.
    const outsider = await t.server.media!.supervisor.createClient();
    try {
      const session = await outsider.createSession();
      const textroom = await session.attach('janus.plugin.textroom');
      const exists = async (room: string) =>
        (await textroom.message({ request: 'exists', room })).data.exists;
      expect(await exists(roomB)).toBe(false);
      expect(await exists(textB)).toBe(true);
    } finally {
      outsider.close();
      wires.forEach((wire) => wire.close());
    }
  });

  describe('refuses tokens', () => {
    const refusedAtOnce = async (roomId: string, token: string, reason: RegExp) => {
      const before = refusalLines(t.logs).length;
      const wire = await connect(roomId, token);
      const reply = await wire.request({ janus: 'create' });
      expect(reply).toMatchObject({
        janus: 'error',
        status_code: 401,
        error_message: expect.stringMatching(reason),
        error: { code: 403 },
      });
      expect(await wire.closed).toMatchObject({ code: 4001 });
      expect(refusalLines(t.logs).slice(before)).toEqual([
        expect.objectContaining({ roomId, status: 401, request: 'create' }),
      ]);
      // Refused before anything reached Janus: no rooms were opened for it.
      expect(await janusRoom(roomId)).toEqual({ roomId });
    };

    it('that expired', async () => {
      const roomId = await newRoom();
      await refusedAtOnce(roomId, await backdatedToken(roomId, 120_000, 60), /expired/);
    });

    it('for another room', async () => {
      const roomId = await newRoom();
      await refusedAtOnce(roomId, await joinToken(await newRoom()), /grants no join/);
    });

    it('that were tampered with', async () => {
      const roomId = await newRoom();
      const [header, payload, signature] = (await joinToken(roomId)).split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
      claims.exp += 3600;
      const forged = Buffer.from(JSON.stringify(claims)).toString('base64url');
      await refusedAtOnce(roomId, `${header}.${forged}.${signature}`, /signature/);
    });

    it('of a deleted room', async () => {
      const roomId = await newRoom();
      const token = await joinToken(roomId);
      expect((await api('DELETE', `/v2/rooms/${roomId}`)).status).toBe(204);
      await refusedAtOnce(roomId, token, /does not exist or was deleted/);
    });

    it('that are missing', async () => {
      const roomId = await newRoom();
      await refusedAtOnce(roomId, '', /client_token is missing/);
    });
  });

  it('ends a connection when its token expires, unless a keepalive brought a new one', async () => {
    const roomId = await newRoom();
    // Expires 1.5 s from now.
    const wire = await connect(roomId, await backdatedToken(roomId, 58_500, 60));
    await register(wire, roomId);
    const renewed = await connect(roomId, await backdatedToken(roomId, 58_500, 60));
    await register(renewed, roomId);
    // updateClientToken: a keepalive carrying the new token.
    renewed.token = await joinToken(roomId);
    expect(await renewed.request({ janus: 'keepalive' })).toMatchObject({ janus: 'ack' });

    const refusal = await wire.next((f) => f.status_code !== undefined, 4000);
    expect(refusal).toMatchObject({ status_code: 401, error_message: 'token expired' });
    expect(await wire.closed).toMatchObject({ code: 4001 });
    await new Promise((r) => setTimeout(r, 500));
    expect(renewed.open).toBe(true);
    expect(await renewed.request({ janus: 'keepalive' })).toMatchObject({ janus: 'ack' });
    renewed.close();
  });

  describe('never passes room administration', () => {
    let roomId: string;
    let wire: JanusWire;
    let handles: Record<'audiobridge' | 'videoroom' | 'textroom', number>;
    let rosterId: string;

    beforeAll(async () => {
      roomId = await newRoom();
      wire = await connect(roomId);
      const registered = await register(wire, roomId);
      rosterId = registered.reply.plugindata.data.id;
      handles = {
        audiobridge: registered.handle,
        videoroom: await wire.attach('videoroom'),
        textroom: await wire.attach('textroom'),
      };
    });
    afterAll(() => wire?.close());

    const otherRoom = randomUUID();
    const admin: Record<string, (plugin: string) => Record<string, unknown>> = {
      create: () => ({ request: 'create', room: otherRoom, permanent: false }),
      destroy: () => ({ request: 'destroy', room: roomId }),
      kick: (plugin) => ({
        request: 'kick',
        room: roomId,
        ...(plugin === 'textroom' ? { username: 'x' } : { id: rosterId }),
      }),
      rtp_forward: () => ({
        request: 'rtp_forward',
        room: roomId,
        host: '127.0.0.1',
        port: 40000,
        publisher_id: rosterId,
      }),
      enable_recording: () => ({ request: 'enable_recording', room: roomId, record: true }),
    };

    for (const plugin of ['audiobridge', 'videoroom', 'textroom'] as const) {
      for (const [request, body] of Object.entries(admin)) {
        it(`${plugin} ${request}`, async () => {
          const before = await t.server.media!.rooms.listRooms();
          const logged = refusalLines(t.logs).length;
          const reply = await wire.message(handles[plugin], body(plugin));
          expect(reply).toMatchObject({
            janus: 'error',
            status_code: 403,
            error_message: `${plugin} request "${request}" is not allowed`,
          });
          expect(refusalLines(t.logs).slice(logged)).toEqual([
            expect.objectContaining({
              roomId,
              status: 403,
              request: `message ${plugin} ${request}`,
            }),
          ]);
          // Nothing changed in Janus, and the connection is still usable.
          expect(await t.server.media!.rooms.listRooms()).toEqual(before);
          expect(before.find((r) => r.roomId === roomId)).toMatchObject({
            audiobridge: { participants: 1 },
          });
          expect(await wire.request({ janus: 'keepalive' })).toMatchObject({ janus: 'ack' });
        });
      }
    }

    // `ROOM` stands for the room of this connection.
    it.each([
      [
        'audiobridge',
        { request: 'join', room: 'ROOM', display: 'x', rtp: { ip: '10.0.0.1' } },
        /field "rtp"/,
      ],
      ['audiobridge', { request: 'configure', record: true }, /field "record"/],
      ['audiobridge', { request: 'changeroom', room: 'ROOM' }, /"changeroom" is not allowed/],
      [
        'audiobridge',
        { request: 'play_file', room: 'ROOM', filename: '/etc/passwd' },
        /not allowed/,
      ],
      ['audiobridge', { request: 'mute', room: 'ROOM', id: 'x' }, /not allowed/],
      [
        'videoroom',
        { request: 'moderate', room: 'ROOM', id: 'x', mid: '0', mute: true },
        /not allowed/,
      ],
      ['videoroom', { request: 'edit', room: 'ROOM', new_publishers: 100 }, /not allowed/],
      ['videoroom', { request: 'list' }, /not allowed/],
      ['textroom', { request: 'announcement', room: 'ROOM', text: 'hi' }, /not allowed/],
    ] as const)('%s %j', async (plugin, body, reason) => {
      const reply = await wire.message(handles[plugin], {
        ...body,
        ...('room' in body && { room: roomId }),
      });
      expect(reply).toMatchObject({
        status_code: 403,
        error_message: expect.stringMatching(reason),
      });
    });

    it('nor requests naming another room', async () => {
      const reply = await wire.message(handles.videoroom, {
        request: 'join',
        room: otherRoom,
        ptype: 'subscriber',
        feed: 'x',
      });
      expect(reply).toMatchObject({ status_code: 403, error_message: /another room/ });
    });

    it('nor core requests outside the allow-list', async () => {
      for (const janus of ['info', 'claim', 'message_plugin', 'list_sessions']) {
        expect(await wire.request({ janus })).toMatchObject({
          status_code: 403,
          error_message: `Janus request "${janus}" is not allowed`,
        });
      }
    });

    it('nor sessions and handles of other connections', async () => {
      const other = await connect(roomId);
      const { handle } = await register(other, roomId);
      const reply = await wire.request({
        janus: 'message',
        handle_id: handle,
        body: { request: 'leave' },
      });
      expect(reply).toMatchObject({ status_code: 403, error_message: /no handle of this session/ });
      const foreign = await wire.request({ janus: 'keepalive', session_id: other.sessionId });
      expect(foreign).toMatchObject({ status_code: 403, error_message: /no session/ });
      other.close();
    });
  });

  it('binds a connection to the first participant id it declares', async () => {
    const roomId = await newRoom();
    const alice = await connect(roomId);
    await register(alice, roomId);

    // Another participant id on the same connection.
    const videoroom = await alice.attach('videoroom');
    const switched = await alice.message(videoroom, {
      request: 'join',
      room: roomId,
      ptype: 'publisher',
      display: display({ participantId: randomUUID() }),
    });
    expect(switched).toMatchObject({
      status_code: 403,
      error_message: /this connection is participant/,
    });

    // A telephone participant's flag, from another connection.
    const mallory = await connect(roomId);
    await mallory.createSession();
    const handle = await mallory.attach('audiobridge');
    const phone = await mallory.message(handle, {
      request: 'join',
      room: roomId,
      display: display({ participantId: randomUUID(), telephonyEngineParticipant: true }),
      muted: true,
    });
    expect(phone).toMatchObject({ status_code: 403, error_message: /telephony/ });
    // Without declaring anyone, nothing but the chat handshake.
    const anonymous = await mallory.message(await mallory.attach('videoroom'), {
      request: 'join',
      room: roomId,
      ptype: 'subscriber',
      feed: 'x',
    });
    expect(anonymous).toMatchObject({ status_code: 403, error_message: /declared itself/ });
    alice.close();
    mallory.close();
  });

  it('enforces max_participants with a clear error', async () => {
    const roomId = await newRoom({ max_participants: 2 });
    const first = await connect(roomId);
    await register(first, roomId);
    const second = await connect(roomId);
    await register(second, roomId);
    const third = await connect(roomId);
    const { reply } = await register(third, roomId);
    expect(reply).toMatchObject({
      janus: 'error',
      status_code: 403,
      error_message: 'room is full: it allows 2 participants (max_participants)',
    });
    first.close();
    await first.closed;
    // The slot is free again.
    const fourth = await connect(roomId);
    expect((await register(fourth, roomId)).reply.plugindata.data.audiobridge).toBe('joined');
    // A room made bigger while live takes more participants at once.
    expect((await api('PATCH', `/v2/rooms/${roomId}`, { max_participants: 3 })).status).toBe(200);
    const fifth = await connect(roomId);
    expect((await register(fifth, roomId)).reply.plugindata.data.audiobridge).toBe('joined');
    for (const wire of [second, third, fourth, fifth]) {
      wire.close();
    }
  });

  it('closes the connections of a deleted room (session_terminated) and ends its session', async () => {
    const roomId = await newRoom();
    const wire = await connect(roomId);
    const { participantId } = await register(wire, roomId);
    await expect
      .poll(async () => (await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id)
      .toBeTypeOf('string');
    const sessionId = (await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id;
    expect((await api('DELETE', `/v2/rooms/${roomId}`)).status).toBe(204);
    expect(await wire.closed).toEqual({ code: 4000, reason: 'room deleted' });
    await expect
      .poll(async () => (await api('GET', `/v2/room_sessions/${sessionId}`)).body.data.active)
      .toBe(false);
    expect(
      (await api('GET', `/v2/room_participants/${participantId}`)).body.data.left_at,
    ).not.toBeNull();
    await expect.poll(() => janusRoom(roomId)).toEqual({ roomId });
  });

  describe('limits', () => {
    it('refuses frames that are not one JSON request', async () => {
      const roomId = await newRoom();
      const wire = await connect(roomId);
      const token = await joinToken(roomId);
      const reply = wire.next((f) => f.status_code !== undefined);
      // Janus itself would run both objects of this frame.
      wire.sendRaw(
        `{"janus":"create","transaction":"a","client_token":"${token}"}{"janus":"create","transaction":"b","client_token":"${token}"}`,
      );
      expect(await reply).toMatchObject({ status_code: 400, error_message: /one JSON object/ });
      wire.sendRaw(Buffer.from([1, 2, 3]));
      expect(await wire.closed).toMatchObject({ code: 1003 });
    });

    it('ends a connection that sends frames too fast', async () => {
      const roomId = await newRoom();
      const wire = await connect(roomId);
      await wire.createSession();
      const refusal = wire.next((f) => f.status_code === 429);
      for (let i = 0; i < 400; i += 1) {
        void wire.request({ janus: 'keepalive' }).catch(() => undefined);
      }
      expect(await refusal).toMatchObject({ status_code: 429 });
      expect(await wire.closed).toMatchObject({ code: 1008 });
    });

    it('ends a connection that sends an oversized frame', async () => {
      const roomId = await newRoom();
      const wire = await connect(roomId);
      wire.sendRaw(JSON.stringify({ janus: 'create', transaction: 'x', pad: 'x'.repeat(300_000) }));
      expect(await wire.closed).toMatchObject({ code: 1009 });
    });

    it('answers only /<room id>/janus with the janus-protocol subprotocol', async () => {
      const roomId = await newRoom();
      const refused = (url: string, protocol?: string) =>
        new Promise<number>((resolve) => {
          const ws = new WebSocket(url, protocol);
          ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
          ws.on('open', () => resolve(101));
          ws.on('error', () => undefined);
        });
      const base = t.url.replace(/^http/, 'ws');
      expect(await refused(`${base}/${roomId}/janus`)).toBe(400);
      expect(await refused(`${base}/not-a-room/janus`, 'janus-protocol')).toBe(404);
      expect(await refused(`${base}/${roomId}/janus`, 'janus-protocol')).toBe(101);
    });
  });
});
