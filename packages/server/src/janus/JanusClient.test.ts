import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { JanusClient, JANUS_PROTOCOL } from './JanusClient.js';
import {
  JanusApiError,
  JanusClosedError,
  JanusPluginError,
  JanusTimeoutError,
} from './JanusErrors.js';
import type { JanusPluginEvent } from './JanusMessages.js';

type Frame = Record<string, unknown> & { janus: string; transaction: string };

/** A scripted stand-in for Janus: the test decides how each request is answered. */
class FakeJanus {
  readonly server: WebSocketServer;
  readonly received: Frame[] = [];
  socket: WebSocket | undefined;
  onRequest: (frame: Frame, reply: (f: Record<string, unknown>) => void) => void = () => {};

  private constructor(server: WebSocketServer) {
    this.server = server;
    server.on('connection', (socket) => {
      this.socket = socket;
      socket.on('message', (data) => {
        const frame = JSON.parse((data as Buffer).toString('utf8')) as Frame;
        this.received.push(frame);
        this.onRequest(frame, (f) => socket.send(JSON.stringify(f)));
      });
    });
  }

  static async start(): Promise<FakeJanus> {
    const server = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      handleProtocols: (protocols) => (protocols.has(JANUS_PROTOCOL) ? JANUS_PROTOCOL : false),
    });
    await new Promise((resolve) => server.once('listening', resolve));
    return new FakeJanus(server);
  }

  get url(): string {
    const address = this.server.address();
    return address !== null && typeof address === 'object' ? `ws://127.0.0.1:${address.port}` : '';
  }

  send(frame: Record<string, unknown>): void {
    this.socket?.send(JSON.stringify(frame));
  }

  async close(): Promise<void> {
    for (const client of this.server.clients) {
      client.terminate();
    }
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Answers create/attach like Janus does, so tests reach handles quickly. */
function basicJanus(frame: Frame, reply: (f: Record<string, unknown>) => void): boolean {
  const { transaction } = frame;
  if (frame.janus === 'create') {
    reply({ janus: 'success', transaction, data: { id: 1111 } });
    return true;
  }
  if (frame.janus === 'attach') {
    reply({ janus: 'success', session_id: 1111, transaction, data: { id: 2222 } });
    return true;
  }
  if (frame.janus === 'keepalive') {
    reply({ janus: 'ack', session_id: 1111, transaction });
    return true;
  }
  return false;
}

describe('JanusClient', () => {
  let janus: FakeJanus;
  let client: JanusClient | undefined;

  beforeEach(async () => {
    janus = await FakeJanus.start();
  });

  afterEach(async () => {
    client?.close();
    client = undefined;
    await janus.close();
  });

  it('matches replies to requests by transaction, even out of order', async () => {
    const held: Frame[] = [];
    janus.onRequest = (frame, reply) => {
      held.push(frame);
      if (held.length === 2) {
        // Answer the second request first.
        for (const f of [...held].reverse()) {
          reply({ janus: 'pong', transaction: f.transaction });
        }
      }
    };
    client = await JanusClient.connect({ url: janus.url });
    const first = client.request({ janus: 'ping' });
    const second = client.request({ janus: 'ping' });
    const [a, b] = await Promise.all([first, second]);
    expect(a.transaction).toBe(held[0]!.transaction);
    expect(b.transaction).toBe(held[1]!.transaction);
    expect(a.transaction).not.toBe(b.transaction);
  });

  it('adds apisecret to every request when configured', async () => {
    janus.onRequest = (frame, reply) => reply({ janus: 'pong', transaction: frame.transaction });
    client = await JanusClient.connect({ url: janus.url, apiSecret: 'the-api-secret' });
    await client.ping();
    expect(janus.received[0]).toMatchObject({ janus: 'ping', apisecret: 'the-api-secret' });
  });

  it('resolves a plugin message with the async event after the ack', async () => {
    janus.onRequest = (frame, reply) => {
      if (basicJanus(frame, reply)) {
        return;
      }
      const { transaction } = frame;
      reply({ janus: 'ack', session_id: 1111, transaction });
      setTimeout(() => {
        reply({
          janus: 'event',
          session_id: 1111,
          sender: 2222,
          transaction,
          plugindata: {
            plugin: 'janus.plugin.audiobridge',
            data: { audiobridge: 'joined', id: 'p1' },
          },
          jsep: { type: 'answer', sdp: 'v=0' },
        });
      }, 10);
    };
    client = await JanusClient.connect({ url: janus.url });
    const session = await client.createSession();
    const handle = await session.attach('janus.plugin.audiobridge');
    const reply = await handle.message({ request: 'join', room: 'r' });
    expect(reply.data).toEqual({ audiobridge: 'joined', id: 'p1' });
    expect(reply.jsep).toEqual({ type: 'answer', sdp: 'v=0' });
    expect(janus.received.at(-1)).toMatchObject({
      janus: 'message',
      session_id: 1111,
      handle_id: 2222,
      body: { request: 'join', room: 'r' },
    });
  });

  it('throws JanusPluginError for a plugin error_code', async () => {
    janus.onRequest = (frame, reply) => {
      if (basicJanus(frame, reply)) {
        return;
      }
      reply({
        janus: 'success',
        session_id: 1111,
        sender: 2222,
        transaction: frame.transaction,
        plugindata: {
          plugin: 'janus.plugin.videoroom',
          data: { videoroom: 'event', error_code: 426, error: 'No such room (x)' },
        },
      });
    };
    client = await JanusClient.connect({ url: janus.url });
    const handle = await (await client.createSession()).attach('janus.plugin.videoroom');
    const error = await handle.message({ request: 'destroy', room: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JanusPluginError);
    expect((error as JanusPluginError).pluginCode).toBe(426);
    expect((error as JanusPluginError).isNoSuchRoom).toBe(true);
    expect((error as JanusPluginError).code).toBe('resource_not_found');
  });

  it('throws JanusApiError for a core error', async () => {
    janus.onRequest = (frame, reply) =>
      reply({
        janus: 'error',
        transaction: frame.transaction,
        error: { code: 403, reason: 'Unauthorized request (wrong or missing secret/token)' },
      });
    client = await JanusClient.connect({ url: janus.url });
    const error = await client.createSession().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JanusApiError);
    expect((error as JanusApiError).janusCode).toBe(403);
    expect((error as JanusApiError).code).toBe('forbidden');
  });

  it('times out a request that gets no reply', async () => {
    client = await JanusClient.connect({ url: janus.url, requestTimeoutMs: 50 });
    await expect(client.ping()).rejects.toBeInstanceOf(JanusTimeoutError);
  });

  it('routes unsolicited events to their handle and session', async () => {
    janus.onRequest = (frame, reply) => void basicJanus(frame, reply);
    client = await JanusClient.connect({ url: janus.url });
    const session = await client.createSession();
    const handle = await session.attach('janus.plugin.videoroom');
    const events: JanusPluginEvent[] = [];
    const hangups: string[] = [];
    handle.on('event', (event) => {
      events.push(event);
    });
    handle.on('hangup', ({ reason }) => {
      hangups.push(reason);
    });
    const closed = session.waitFor('closed');
    janus.send({
      janus: 'event',
      session_id: 1111,
      sender: 2222,
      plugindata: { plugin: 'janus.plugin.videoroom', data: { videoroom: 'event', leaving: 'x' } },
    });
    janus.send({ janus: 'hangup', session_id: 1111, sender: 2222, reason: 'DTLS alert' });
    janus.send({ janus: 'timeout', session_id: 1111 });
    expect(await closed).toEqual([{ reason: 'timeout' }]);
    expect(events).toEqual([
      { plugin: 'janus.plugin.videoroom', data: { videoroom: 'event', leaving: 'x' } },
    ]);
    expect(hangups).toEqual(['DTLS alert']);
    expect(handle.closed).toBe(true);
    expect(client.sessions.size).toBe(0);
  });

  it('keeps sessions alive', async () => {
    janus.onRequest = (frame, reply) => void basicJanus(frame, reply);
    client = await JanusClient.connect({ url: janus.url, keepaliveIntervalMs: 20 });
    await client.createSession();
    await new Promise((resolve) => setTimeout(resolve, 90));
    const keepalives = janus.received.filter((f) => f.janus === 'keepalive');
    expect(keepalives.length).toBeGreaterThanOrEqual(2);
    expect(keepalives[0]).toMatchObject({ session_id: 1111 });
  });

  it('a listener that throws does not stop other listeners', async () => {
    janus.onRequest = (frame, reply) => void basicJanus(frame, reply);
    client = await JanusClient.connect({ url: janus.url });
    const handle = await (await client.createSession()).attach('janus.plugin.videoroom');
    handle.on('webrtcup', () => {
      throw new Error('listener bug');
    });
    const second = handle.waitFor('webrtcup');
    janus.send({ janus: 'webrtcup', session_id: 1111, sender: 2222 });
    await expect(second).resolves.toEqual([]);
  });

  it('rejects pending requests and closes sessions when Janus goes away', async () => {
    janus.onRequest = (frame, reply) => void basicJanus(frame, reply);
    client = await JanusClient.connect({ url: janus.url });
    const session = await client.createSession();
    const pending = client.request({ janus: 'ping' });
    const closed = client.waitFor('close');
    janus.socket?.terminate();
    await expect(pending).rejects.toBeInstanceOf(JanusClosedError);
    const [event] = await closed;
    expect(event.byClient).toBe(false);
    expect(session.closed).toBe(true);
    await expect(client.ping()).rejects.toBeInstanceOf(JanusClosedError);
  });

  it('close() is idempotent and cascades to sessions and handles', async () => {
    janus.onRequest = (frame, reply) => void basicJanus(frame, reply);
    client = await JanusClient.connect({ url: janus.url });
    const session = await client.createSession();
    const handle = await session.attach('janus.plugin.textroom');
    const closed = client.waitFor('close');
    client.close();
    client.close();
    expect(session.closed).toBe(true);
    expect(handle.closed).toBe(true);
    const [event] = await closed;
    expect(event.byClient).toBe(true);
  });

  it('fails to connect to a server that refuses the janus-protocol subprotocol', async () => {
    const other = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => false });
    await new Promise((resolve) => other.once('listening', resolve));
    const address = other.address();
    const url =
      address !== null && typeof address === 'object' ? `ws://127.0.0.1:${address.port}` : '';
    await expect(JanusClient.connect({ url })).rejects.toBeInstanceOf(JanusClosedError);
    await new Promise((resolve) => other.close(resolve));
  });
});
