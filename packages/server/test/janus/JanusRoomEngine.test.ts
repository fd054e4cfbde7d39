import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JANUS_PLUGINS,
  JanusPluginError,
  JanusRoomEngine,
  type JanusClient,
  type JanusHandle,
  type JanusPluginPayload,
  type RoomPlugin,
} from '../../src/janus/index.js';
import { memoryLogger, startTestJanus, type TestJanus } from './support.js';

// This file's own UDP ranges, so it can run in parallel with the other Janus test files.
const RTP = { min: 42200, max: 42399 };
const PLAIN_RTP = { min: 42400, max: 42499 };

const PLUGINS: RoomPlugin[] = ['audiobridge', 'videoroom', 'textroom'];

describe('JanusRoomEngine against a real Janus', () => {
  let janus: TestJanus;
  let engine: JanusRoomEngine;
  /** A client that holds no keys at all, like a browser would. */
  let outsider: JanusClient;
  let outsiderHandles: Record<RoomPlugin, JanusHandle>;

  beforeAll(async () => {
    janus = await startTestJanus(RTP, { plainRtpPorts: PLAIN_RTP });
    engine = new JanusRoomEngine({
      client: await janus.supervisor.createClient(),
      adminKey: janus.adminKey,
      logger: memoryLogger().logger,
    });
    outsider = await janus.supervisor.createClient();
    const session = await outsider.createSession();
    const [audiobridge, videoroom, textroom] = await Promise.all(
      PLUGINS.map((p) => session.attach(JANUS_PLUGINS[p])),
    );
    outsiderHandles = { audiobridge: audiobridge!, videoroom: videoroom!, textroom: textroom! };
  });

  afterAll(async () => {
    engine.close();
    await janus.stop();
  });

  /** A plugin's `list` entry for a room, as seen with the admin key. */
  async function listed(
    plugin: RoomPlugin,
    roomId: string,
  ): Promise<JanusPluginPayload | undefined> {
    const reply = await outsiderHandles[plugin].message({
      request: 'list',
      admin_key: janus.adminKey,
    });
    return (reply.data.list as JanusPluginPayload[]).find((r) => r.room === roomId);
  }

  it('creates the three plugin rooms under the room UUID, with the wanted settings', async () => {
    const roomId = randomUUID();
    const result = await engine.ensureRoom(roomId, { maxParticipants: 4 });
    expect(result.created.sort()).toEqual(['audiobridge', 'textroom', 'videoroom']);

    const audio = await listed('audiobridge', roomId);
    expect(audio).toMatchObject({ room: roomId, sampling_rate: 48000 });
    const video = await listed('videoroom', roomId);
    expect(video).toMatchObject({
      room: roomId,
      max_publishers: 12,
      audiocodec: 'opus',
      videocodec: 'vp8,h264',
      audiolevel_event: true,
      audio_active_packets: 50,
      audio_level_average: 50,
      notify_joining: true,
      is_private: true,
    });
    // The TextRoom's id is derived from the room id with the engine's key: clients reach it
    // only through the id their own room's gateway hands them.
    const textRoomId = engine.textRoomId(roomId);
    expect(textRoomId).not.toBe(roomId);
    expect(await listed('textroom', textRoomId)).toMatchObject({ room: textRoomId });
    expect(await listed('textroom', roomId)).toBeUndefined();
    expect(await engine.getRoom(roomId)).toEqual({
      roomId,
      audiobridge: { participants: 0 },
      videoroom: { participants: 0 },
      textroom: { participants: 0 },
    });
    expect((await engine.listRooms()).map((r) => r.roomId)).toContain(roomId);
  });

  it('ensureRoom is idempotent, also when called concurrently', async () => {
    const roomId = randomUUID();
    const results = await Promise.all([
      engine.ensureRoom(roomId, { maxParticipants: 2 }),
      engine.ensureRoom(roomId, { maxParticipants: 2 }),
      engine.ensureRoom(roomId, { maxParticipants: 2 }),
    ]);
    expect(results.map((r) => r.created.length).sort()).toEqual([0, 0, 3]);
    expect((await engine.ensureRoom(roomId, { maxParticipants: 2 })).created).toEqual([]);
    // A new max_participants resizes the VideoRoom's publisher slots.
    await engine.ensureRoom(roomId, { maxParticipants: 5 });
    expect(await listed('videoroom', roomId)).toMatchObject({ max_publishers: 15 });
  });

  it('hides rooms from clients that list without the admin key', async () => {
    const roomId = randomUUID();
    await engine.ensureRoom(roomId, { maxParticipants: 2 });
    for (const plugin of PLUGINS) {
      const reply = await outsiderHandles[plugin].message({ request: 'list' });
      const rooms = (reply.data.list as JanusPluginPayload[]).map((r) => r.room);
      expect(rooms).not.toContain(roomId);
    }
  });

  it('refuses to create a room for a client without the admin key', async () => {
    const roomId = randomUUID();
    for (const plugin of PLUGINS) {
      const handle = outsiderHandles[plugin];
      const missing = await handle
        .message({ request: 'create', room: roomId })
        .catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(JanusPluginError);
      const wrong = await handle
        .message({ request: 'create', room: roomId, admin_key: 'not-the-admin-key' })
        .catch((e: unknown) => e);
      expect(wrong).toBeInstanceOf(JanusPluginError);
      expect((wrong as JanusPluginError).isUnauthorized).toBe(true);
    }
    expect(await engine.getRoom(roomId)).toEqual({ roomId });
  });

  it('refuses room administration to a client without the room secret', async () => {
    const roomId = randomUUID();
    await engine.ensureRoom(roomId, { maxParticipants: 2 });
    const attempts: [RoomPlugin, JanusPluginPayload][] = [
      ['audiobridge', { request: 'destroy', room: roomId }],
      ['audiobridge', { request: 'mute_room', room: roomId, secret: 'guess' }],
      ['audiobridge', { request: 'enable_recording', room: roomId, record: true }],
      ['videoroom', { request: 'destroy', room: roomId, secret: 'guess' }],
      ['videoroom', { request: 'edit', room: roomId, new_publishers: 100 }],
      ['textroom', { request: 'destroy', room: roomId }],
      ['textroom', { request: 'announcement', room: roomId, text: 'hi', secret: 'guess' }],
    ];
    for (const [plugin, body] of attempts) {
      await expect(outsiderHandles[plugin].message(body)).rejects.toBeInstanceOf(JanusPluginError);
    }
    expect(await engine.getRoom(roomId)).toMatchObject({
      audiobridge: {},
      videoroom: {},
      textroom: {},
    });
  });

  it('lets a plain-RTP participant join the AudioBridge room on the configured ports', async () => {
    const roomId = randomUUID();
    await engine.ensureRoom(roomId, { maxParticipants: 2 });
    const session = await outsider.createSession();
    try {
      const leg = await session.attach(JANUS_PLUGINS.audiobridge);
      const reply = await leg.message({
        request: 'join',
        room: roomId,
        display: 'phone',
        codec: 'opus',
        rtp: { ip: '127.0.0.1', port: 40999, payload_type: 111 },
      });
      expect(reply.data.audiobridge).toBe('joined');
      const rtp = reply.data.rtp as { ip: string; port: number };
      expect(rtp.ip).toBe('127.0.0.1');
      expect(rtp.port).toBeGreaterThanOrEqual(PLAIN_RTP.min);
      expect(rtp.port).toBeLessThanOrEqual(PLAIN_RTP.max);
      expect((await engine.getRoom(roomId)).audiobridge).toEqual({ participants: 1 });
    } finally {
      await session.destroy();
    }
  });

  it('derives TextRoom ids that differ per room and per key, and are stable for one key', () => {
    const roomId = randomUUID();
    expect(engine.textRoomId(roomId)).toBe(engine.textRoomId(roomId));
    expect(engine.textRoomId(roomId)).not.toBe(engine.textRoomId(randomUUID()));
    const keyed = (secretKey: string) =>
      new JanusRoomEngine({
        client: outsider,
        adminKey: janus.adminKey,
        logger: memoryLogger().logger,
        secretKey,
      });
    const [a, b] = [
      keyed('a-persisted-key-of-32-characters'),
      keyed('another-key-of-32-characters!!'),
    ];
    expect(a.textRoomId(roomId)).not.toBe(engine.textRoomId(roomId));
    expect(a.textRoomId(roomId)).not.toBe(b.textRoomId(roomId));
    expect(keyed('a-persisted-key-of-32-characters').textRoomId(roomId)).toBe(a.textRoomId(roomId));
  });

  it('kicks, mutes and moderates participants with the room secrets; false for ones that are gone', async () => {
    const roomId = randomUUID();
    await engine.ensureRoom(roomId, { maxParticipants: 2 });
    const session = await outsider.createSession();
    try {
      const leg = await session.attach(JANUS_PLUGINS.audiobridge);
      const joined = await leg.message({
        request: 'join',
        room: roomId,
        display: 'x',
        muted: false,
      });
      const id = joined.data.id as string;
      const muted = async () => {
        const reply = await leg.message({ request: 'listparticipants', room: roomId });
        return (reply.data.participants as { id: string; muted: boolean }[]).find(
          (p) => p.id === id,
        )?.muted;
      };
      expect(await engine.muteAudio(roomId, id, true)).toBe(true);
      expect(await muted()).toBe(true);
      expect(await engine.muteAudio(roomId, id, false)).toBe(true);
      expect(await muted()).toBe(false);
      expect(await engine.muteAudio(roomId, 'nobody', true)).toBe(false);

      const publisher = await session.attach(JANUS_PLUGINS.videoroom);
      const listener = await publisher.message({
        request: 'join',
        room: roomId,
        ptype: 'publisher',
        display: 'x',
      });
      const publisherId = listener.data.id as string;
      // It publishes nothing, so it has no stream to moderate.
      expect(await engine.moderateStream(roomId, publisherId, '0', true)).toBe(false);
      expect(await engine.moderateStream(roomId, 'nobody', '0', true)).toBe(false);
      expect(await engine.kick(roomId, 'videoroom', publisherId)).toBe(true);
      expect(await engine.kick(roomId, 'videoroom', publisherId)).toBe(false);

      expect(await engine.kick(roomId, 'audiobridge', id)).toBe(true);
      // Janus removes the kicked participant right after answering.
      await expect
        .poll(async () => (await engine.getRoom(roomId)).audiobridge)
        .toEqual({ participants: 0 });
      expect(await engine.kick(roomId, 'audiobridge', id)).toBe(false);
      // A room that is gone: nothing to do.
      await engine.destroyRoom(roomId);
      expect(await engine.kick(roomId, 'audiobridge', id)).toBe(false);
      expect(await engine.muteAudio(roomId, id, true)).toBe(false);
    } finally {
      await session.destroy();
    }
  });

  it('destroys the three rooms, and says so only once', async () => {
    const roomId = randomUUID();
    await engine.ensureRoom(roomId, { maxParticipants: 3 });
    expect(engine.liveRooms.has(roomId)).toBe(true);
    expect(await engine.destroyRoom(roomId)).toBe(true);
    expect(await engine.getRoom(roomId)).toEqual({ roomId });
    expect(engine.liveRooms.has(roomId)).toBe(false);
    expect(await engine.destroyRoom(roomId)).toBe(false);
  });

  it('refuses ids that are not UUIDs and impossible sizes', async () => {
    await expect(engine.ensureRoom('1234', { maxParticipants: 2 })).rejects.toThrow(/UUID/);
    await expect(engine.ensureRoom(randomUUID(), { maxParticipants: 0 })).rejects.toThrow(
      /maxParticipants/,
    );
  });

  it('re-creates live rooms on the restarted Janus after SIGKILL', async () => {
    const kept = randomUUID();
    const dropped = randomUUID();
    await engine.ensureRoom(kept, { maxParticipants: 2 });
    await engine.ensureRoom(dropped, { maxParticipants: 2 });
    await engine.destroyRoom(dropped);

    const restarted = janus.supervisor.waitFor('restarted');
    process.kill(janus.supervisor.pid!, 'SIGKILL');
    await restarted;

    const client = await janus.supervisor.createClient();
    const fresh = new JanusRoomEngine({
      client,
      adminKey: janus.adminKey,
      logger: memoryLogger().logger,
    });
    try {
      // Janus forgot everything.
      expect(await fresh.listRooms()).toEqual([]);
      const result = await engine.rebind(client);
      expect(result.failed).toEqual([]);
      expect(result.recreated).toContain(kept);
      expect(result.recreated).not.toContain(dropped);
      const rooms = await engine.listRooms();
      expect(rooms.find((r) => r.roomId === kept)).toMatchObject({
        audiobridge: {},
        videoroom: {},
        textroom: {},
      });
      // The same secrets still work for administration after the rebind.
      expect(await engine.destroyRoom(kept)).toBe(true);
    } finally {
      fresh.close();
    }
    // The outsider's connection died with the old Janus; reconnect for later tests.
    outsider = await janus.supervisor.createClient();
  });
});
