import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../support/testServer.js';
import type { GatewayTestServer } from './support.js';
import { JanusWire, display, startGatewayServer } from './support.js';

// Janus dies under a connected participant: the gateway closes the connection (1012), the
// participant and then the session end in the store, and once the supervisor has Janus back a
// new connection joins the same room.

describe('the room gateway when Janus dies', () => {
  let t: GatewayTestServer;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    t = await startGatewayServer();
    api = apiClient(t.url, t.apiKey);
  });
  afterAll(async () => t?.close());

  const register = async (roomId: string) => {
    const token = (await api('POST', `/v2/rooms/${roomId}/actions/generate_join_client_token`, {}))
      .body.data.token;
    const wire = await JanusWire.open(t.url, roomId, token);
    await wire.createSession();
    const handle = await wire.attach('audiobridge');
    const reply = await wire.message(handle, {
      request: 'join',
      room: roomId,
      display: display({ participantId: randomUUID(), external: 'x' }),
      muted: true,
    });
    return { wire, reply };
  };

  it('leaves no participant or session open and lets clients join again', async () => {
    const roomId = (await api('POST', '/v2/rooms', {})).body.data.id;
    const { wire } = await register(roomId);
    await expect
      .poll(async () => (await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id)
      .toBeTypeOf('string');
    const sessionId = (await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id;

    const supervisor = t.server.media!.supervisor;
    const restarted = supervisor.waitFor('restarted');
    process.kill(supervisor.pid!, 'SIGKILL');
    expect(await wire.closed).toMatchObject({ code: 1012 });

    await expect
      .poll(async () => (await api('GET', `/v2/room_sessions/${sessionId}/participants`)).body.data)
      .toEqual([expect.objectContaining({ left_at: expect.any(String) })]);
    await expect
      .poll(async () => (await api('GET', `/v2/room_sessions/${sessionId}`)).body.data.active)
      .toBe(false);

    await restarted;
    const again = await register(roomId);
    expect(again.reply.plugindata.data).toMatchObject({ audiobridge: 'joined', room: roomId });
    await expect
      .poll(async () => (await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id)
      .toEqual(expect.any(String));
    expect((await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id).not.toBe(
      sessionId,
    );
    again.wire.close();
  });
});
