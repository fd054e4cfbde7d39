import { describe, expect, it } from 'vitest';
import { Logger } from '../Logger.js';
import type { DisconnectionReason } from '../types.js';
import { VideoError } from '../VideoError.js';
import { FakeJanus } from '../testing/FakeJanus.js';
import { settle, waitUntil } from '../testing/roomHarness.js';
import { JanusPlugin } from './janusFrames.js';
import { JanusSession } from './JanusSession.js';

function open(janus: FakeJanus, closed: DisconnectionReason[] = [], rtts: number[] = []) {
  return JanusSession.open(
    {
      url: 'wss://palaver.test/room-1/janus',
      clientToken: 'token-1',
      socketFactory: janus.connect,
      logger: new Logger('test', 'OFF'),
      keepaliveIntervalMs: 30,
      keepaliveTimeoutMs: 100,
      requestTimeoutMs: 500,
      openTimeoutMs: 500,
    },
    { closed: (reason) => closed.push(reason), keepalive: (rtt) => rtts.push(rtt) },
  );
}

describe('the Janus signalling client', () => {
  it('dials the room with the janus-protocol subprotocol and creates a session', async () => {
    const janus = new FakeJanus();
    const session = await open(janus);
    expect(janus.last.url).toBe('wss://palaver.test/room-1/janus');
    const [create] = janus.requests(janus.last, 'create');
    expect(create).toEqual({
      janus: 'create',
      transaction: expect.any(String),
      client_token: 'token-1',
    });
    expect(session.id).toBeGreaterThan(0);
    session.destroy('user_initiated');
  });

  it('sends client_token, session_id and a fresh transaction with every request', async () => {
    const janus = new FakeJanus();
    const session = await open(janus);
    const handle = await session.attach(JanusPlugin.AudioBridge);
    await session.trickle(handle, { candidate: 'candidate:1', sdpMid: '0' });
    await session.trickle(handle, null);
    await session.detach(handle);
    const frames = janus.requests(janus.last).slice(1);
    expect(frames.map((f) => f.janus)).toEqual(['attach', 'trickle', 'trickle', 'detach']);
    for (const frame of frames) {
      expect(frame).toMatchObject({ client_token: 'token-1', session_id: session.id });
    }
    const transactions = janus.requests(janus.last).map((f) => f.transaction);
    expect(new Set(transactions).size).toBe(transactions.length);
    expect(frames[2]).toMatchObject({ candidate: { completed: true } });
    session.destroy('user_initiated');
  });

  it('keeps the session alive every interval and measures the round trip', async () => {
    const janus = new FakeJanus();
    const rtts: number[] = [];
    const session = await open(janus, [], rtts);
    await waitUntil(() => rtts.length >= 3);
    const keepalives = janus.requests(janus.last, 'keepalive');
    expect(keepalives.length).toBeGreaterThanOrEqual(3);
    expect(keepalives[0]).toEqual({
      janus: 'keepalive',
      transaction: expect.any(String),
      client_token: 'token-1',
      session_id: session.id,
    });
    session.destroy('user_initiated');
  });

  it('carries a new client token in a keepalive at once, and in every request after', async () => {
    const janus = new FakeJanus();
    const session = await open(janus);
    await session.updateClientToken('token-2');
    expect(janus.requests(janus.last).at(-1)).toMatchObject({
      janus: 'keepalive',
      client_token: 'token-2',
    });
    await session.attach(JanusPlugin.VideoRoom);
    expect(janus.requests(janus.last).at(-1)).toMatchObject({
      janus: 'attach',
      client_token: 'token-2',
    });
    session.destroy('user_initiated');
  });

  it('resolves a plugin request with the event that follows the ack, and rejects plugin errors', async () => {
    const janus = new FakeJanus();
    const session = await open(janus);
    const handle = await session.attach(JanusPlugin.VideoRoom);
    const reply = await session.message(handle, {
      request: 'join',
      room: 'r',
      ptype: 'publisher',
      display: 'e30=',
    });
    expect(reply.data.videoroom).toBe('joined');
    const error = await session
      .message(handle, { request: 'rtp_forward' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VideoError);
    expect(error).toMatchObject({ code: 'media_server_error', janusCode: 499 });
    session.destroy('user_initiated');
  });

  it('rejects only the refused request when the gateway forbids it, and stays connected', async () => {
    const janus = new FakeJanus({
      refuse: (frame) =>
        frame.janus === 'attach' && frame.plugin === 'janus.plugin.streaming'
          ? { status: 403, message: 'plugin not allowed' }
          : undefined,
    });
    const closed: DisconnectionReason[] = [];
    const session = await open(janus, closed);
    const error = await session
      .attach('janus.plugin.streaming' as JanusPlugin)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'forbidden', status: 403, message: 'plugin not allowed' });
    expect(await session.attach(JanusPlugin.TextRoom)).toBeGreaterThan(0);
    expect(closed).toEqual([]);
    session.destroy('user_initiated');
  });

  it('ends as unauthorized when the token is refused, whatever the close code then', async () => {
    const janus = new FakeJanus();
    const closed: DisconnectionReason[] = [];
    const session = await open(janus, closed);
    janus.options.refuse = (frame) =>
      frame.janus === 'keepalive'
        ? { status: 401, message: 'token expired', close: 4001 }
        : undefined;
    await waitUntil(() => closed.length > 0);
    expect(closed).toEqual(['unauthorized']);
    expect(session.finished).toBe(true);
  });

  it('fails to open with a typed error when the first frame is refused', async () => {
    const janus = new FakeJanus({
      refuse: () => ({ status: 401, message: 'bad token', close: 4001 }),
    });
    const error = await open(janus).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VideoError);
    expect(error).toMatchObject({ code: 'unauthorized', status: 401 });
  });

  it.each([
    [1006, 'network_error'],
    [3999, 'timed_out'],
    [4000, 'session_terminated'],
    [4001, 'unauthorized'],
    [1012, 'network_error'],
    [1008, 'unknown'],
  ] as const)('reports a close with code %i as %s', async (code, reason) => {
    const janus = new FakeJanus();
    const closed: DisconnectionReason[] = [];
    await open(janus, closed);
    janus.last.drop(code);
    await waitUntil(() => closed.length > 0);
    expect(closed).toEqual([reason]);
  });

  it('declares the connection lost when keepalives go unanswered', async () => {
    const janus = new FakeJanus();
    const closed: DisconnectionReason[] = [];
    await open(janus, closed);
    janus.last.blackhole = true;
    await waitUntil(() => closed.length > 0, 1_000);
    expect(closed).toEqual(['network_error']);
  });

  it('destroys the session and closes with 1000, reporting the reason once, and fails later requests', async () => {
    const janus = new FakeJanus();
    const closed: DisconnectionReason[] = [];
    const session = await open(janus, closed);
    session.destroy('user_initiated');
    session.destroy('user_initiated');
    await settle();
    expect(janus.requests(janus.last, 'destroy')).toHaveLength(1);
    expect(janus.last.closed).toBe(true);
    expect(closed).toEqual(['user_initiated']);
    await expect(session.attach(JanusPlugin.AudioBridge)).rejects.toMatchObject({
      code: 'connection_lost',
    });
  });
});
