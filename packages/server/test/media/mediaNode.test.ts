import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/testServer.js';
import { apiClient, startTestServer } from '../support/testServer.js';

// A Palaver server with its embedded Janus: the media engine is started, rooms of deleted
// Palaver rooms are removed from Janus, and closing the server stops Janus.

function janusIsRunning(pid: number | undefined): boolean {
  if (pid === undefined) {
    return false;
  }
  try {
    execFileSync('kill', ['-0', String(pid)]);
    return true;
  } catch {
    return false;
  }
}

describe('a Palaver server with its embedded Janus', () => {
  let t: TestServer;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    t = await startTestServer('sqlite', { media: true });
    api = apiClient(t.url, t.apiKey);
  });
  afterAll(async () => t.close());

  it('starts Janus and removes the Janus rooms of a deleted room', async () => {
    const media = t.server.media;
    expect(media).toBeDefined();
    expect(media?.supervisor.state).toBe('running');

    const room = (await api('POST', '/v2/rooms', { max_participants: 4 })).body.data;
    await media?.rooms.ensureRoom(room.id, { maxParticipants: 4 });
    const before = await media?.rooms.listRooms();
    expect(before?.find((r) => r.roomId === room.id)).toMatchObject({
      audiobridge: { participants: 0 },
      videoroom: { participants: 0 },
      textroom: { participants: 0 },
    });

    expect((await api('DELETE', `/v2/rooms/${room.id}`)).status).toBe(204);
    await expect
      .poll(async () => (await media?.rooms.listRooms())?.some((r) => r.roomId === room.id), {
        timeout: 5000,
      })
      .toBe(false);
  });

  it("receives Janus's events over its authenticated event handler, and drops forged ones", async () => {
    const receiver = t.server.media?.events;
    expect(receiver).toBeDefined();
    const seen: number[] = [];
    receiver?.on('event', (event) => seen.push(event.type));
    // A forged batch without the secret is answered but never reaches a listener.
    const forged = await fetch(receiver?.url ?? '', {
      method: 'POST',
      body: JSON.stringify([{ type: 256, event: { status: 'forged' } }]),
    });
    expect(forged.status).toBe(200);
    // A room created through the engine makes the plugins report (type 64).
    const room = (await api('POST', '/v2/rooms', {})).body.data;
    await t.server.media?.rooms.ensureRoom(room.id, { maxParticipants: 2 });
    await expect.poll(() => seen.includes(64), { timeout: 10_000 }).toBe(true);
    expect(seen).not.toContain(256);
  });

  it('stops Janus when the server closes', async () => {
    const pid = t.server.media?.supervisor.pid;
    expect(janusIsRunning(pid)).toBe(true);
    await t.server.close();
    expect(janusIsRunning(pid)).toBe(false);
  });
});
