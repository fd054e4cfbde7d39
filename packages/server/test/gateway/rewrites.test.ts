import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoomGateway } from '../../src/gateway/RoomGateway.js';
import { JanusWire, display } from './support.js';

// The gateway in front of a scripted Janus: what reaches Janus, and how Janus 1.x frames are
// rewritten for the SDK (moderation in the 0.x form, janus_room_id).

const ROOM = randomUUID();

describe('the gateway in front of a scripted Janus', () => {
  let janus: WebSocketServer;
  let janusSocket: ServerSocket | undefined;
  const received: any[] = [];
  let http: Server;
  let gateway: RoomGateway;
  let baseUrl: string;
  const joined: string[] = [];

  /** Janus's answers, by request. */
  const answer = (frame: any): any[] => {
    const base = { transaction: frame.transaction, session_id: 111 };
    switch (frame.janus) {
      case 'create':
        return [{ janus: 'success', transaction: frame.transaction, data: { id: 111 } }];
      case 'attach':
        return [
          {
            janus: 'success',
            ...base,
            data: { id: frame.plugin.endsWith('videoroom') ? 222 : 333 },
          },
        ];
      case 'keepalive':
        return [{ janus: 'ack', ...base }];
      case 'message': {
        const plugin =
          frame.handle_id === 222 ? 'janus.plugin.videoroom' : 'janus.plugin.audiobridge';
        const event = (data: unknown) => ({
          janus: 'event',
          ...base,
          sender: frame.handle_id,
          plugindata: { plugin, data },
        });
        if (frame.body.request === 'join' && plugin === 'janus.plugin.audiobridge') {
          return [
            { janus: 'ack', ...base },
            event({ audiobridge: 'joined', room: ROOM, id: 'ab-a', participants: [] }),
          ];
        }
        if (frame.body.request === 'join') {
          return [
            { janus: 'ack', ...base },
            event({
              videoroom: 'joined',
              room: ROOM,
              id: 'pub-a',
              publishers: [
                {
                  id: 'pub-b',
                  display: display({ participantId: 'bob', stream: { id: 's', key: 'self' } }),
                  streams: [
                    { type: 'audio', mid: '0', moderated: true },
                    { type: 'video', mid: '1' },
                  ],
                },
              ],
            }),
          ];
        }
        if (frame.body.request === 'configure') {
          return [
            { janus: 'ack', ...base },
            event({
              videoroom: 'event',
              room: ROOM,
              configured: 'ok',
              streams: [
                { type: 'audio', mid: '0' },
                { type: 'video', mid: '1' },
              ],
            }),
          ];
        }
        return [];
      }
      default:
        return [];
    }
  };

  const push = (data: unknown) =>
    janusSocket!.send(
      JSON.stringify({
        janus: 'event',
        session_id: 111,
        sender: 222,
        plugindata: { plugin: 'janus.plugin.videoroom', data },
      }),
    );

  beforeAll(async () => {
    janus = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      handleProtocols: () => 'janus-protocol',
    });
    await new Promise((resolve) => janus.once('listening', resolve));
    janus.on('connection', (socket) => {
      janusSocket = socket;
      socket.on('message', (data) => {
        const frame = JSON.parse((data as Buffer).toString('utf8'));
        received.push(frame);
        for (const reply of answer(frame)) {
          socket.send(JSON.stringify(reply));
        }
      });
    });
    const address = janus.address() as { port: number };
    gateway = new RoomGateway({
      logger: pino({ level: 'silent' }),
      tokens: {
        verify: (token) => {
          if (token !== 'good') {
            return Promise.reject(new Error('unexpected token'));
          }
          return Promise.resolve({
            tokenId: 't',
            type: 'access',
            roomId: ROOM,
            subject: 's',
            expiresAt: Date.now() + 60_000,
          });
        },
      },
      rooms: { find: (id) => Promise.resolve(id === ROOM ? { maxParticipants: 5 } : undefined) },
      presence: {
        join: (request) => {
          joined.push(request.context ?? '');
          const at = new Date().toISOString();
          return Promise.resolve({
            id: randomUUID(),
            sessionId: 's',
            context: request.context,
            joinedAt: at,
            updatedAt: at,
            leftAt: null,
          });
        },
        leave: () => Promise.resolve(),
      },
      media: {
        url: `ws://127.0.0.1:${address.port}`,
        apiSecret: 'the-api-secret',
        engine: {
          ensureRoom: () => Promise.resolve({ created: [] }),
          destroyRoom: () => Promise.resolve(true),
          textRoomId: (roomId) => `text-${roomId}`,
        },
      },
    });
    http = createServer();
    gateway.attach(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await gateway?.close();
    await new Promise((resolve) => http?.close(resolve));
    await new Promise((resolve) => janus?.close(resolve));
  });

  it('forwards checked frames without the client token, with the API secret, and rewrites moderation for the SDK', async () => {
    const wire = await JanusWire.open(baseUrl, ROOM, 'good');
    await wire.createSession();
    const roster = await wire.attach('audiobridge');
    await wire.message(roster, {
      request: 'join',
      room: ROOM,
      display: display({ participantId: 'alice', external: 'ctx' }),
      muted: true,
    });
    await expect.poll(() => joined).toEqual(['ctx']);

    const videoroom = await wire.attach('videoroom');
    const reply = await wire.message(videoroom, {
      request: 'join',
      room: ROOM,
      ptype: 'publisher',
      display: display({ participantId: 'alice', stream: { id: 's', key: 'self' } }),
    });
    // Janus 1.x marks moderated streams; the SDK reads audio_moderated.
    expect(reply.plugindata.data.publishers[0]).toMatchObject({
      id: 'pub-b',
      audio_moderated: true,
    });
    expect(reply.plugindata.data.publishers[0].video_moderated).toBeUndefined();
    await wire.message(videoroom, {
      request: 'configure',
      audio: true,
      video: true,
      display: display({ participantId: 'alice', stream: { id: 's', key: 'self' } }),
    });

    // A moderator mutes Bob's video, then Alice's own audio.
    const bobMuted = wire.next((f) => f.plugindata?.data?.id === 'pub-b');
    push({ videoroom: 'event', room: ROOM, id: 'pub-b', mid: '1', moderation: 'muted' });
    expect((await bobMuted).plugindata.data).toMatchObject({
      moderation: 'muted',
      'video-moderation': 'muted',
    });
    const aliceMuted = wire.next((f) => f.plugindata?.data?.id === 'pub-a');
    push({ videoroom: 'event', room: ROOM, id: 'pub-a', mid: '0', moderation: 'muted' });
    expect((await aliceMuted).plugindata.data).toMatchObject({ 'audio-moderation': 'muted' });
    expect(gateway.participant(ROOM, 'alice')?.janusIds).toMatchObject({
      roster: 'ab-a',
      publishers: new Map([['self', { id: 'pub-a', audioMids: ['0'] }]]),
    });

    expect(
      received.every((f) => f.client_token === undefined && f.apisecret === 'the-api-secret'),
    ).toBe(true);
    expect(received.map((f) => f.janus)).toEqual([
      'create',
      'attach',
      'message',
      'attach',
      'message',
      'message',
    ]);

    // Refused requests never reach Janus.
    const before = received.length;
    await wire.message(videoroom, {
      request: 'rtp_forward',
      room: ROOM,
      host: '127.0.0.1',
      port: 5000,
    });
    await wire.request({ janus: 'info' });
    expect(received.length).toBe(before);

    // A moderator mute holds: the participant's own unmute is refused.
    gateway.participant(ROOM, 'alice')!.setAudioMuteLock(true);
    const unmute = await wire.message(roster, { request: 'configure', muted: false });
    expect(unmute).toMatchObject({
      status_code: 403,
      error_message: 'muted by a moderator: cannot unmute',
    });

    // Janus drops a session that went quiet: the SDK learns it from the close code (timed_out).
    janusSocket!.send(JSON.stringify({ janus: 'timeout', session_id: 111 }));
    expect(await wire.closed).toEqual({ code: 3999, reason: 'janus session timed out' });
  });
});
