import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config.js';
import type { JanusHandle } from '../../src/janus/index.js';
import { PalaverServer } from '../../src/PalaverServer.js';
import { freshDatabase } from '../support/testServer.js';

export interface GatewayTestServer {
  server: PalaverServer;
  url: string;
  apiKey: string;
  /** Every log line the server wrote, parsed. */
  logs: Record<string, any>[];
  close(): Promise<void>;
}

/** A Palaver server with its Janus, a short session grace and its log lines kept. */
export async function startGatewayServer(
  env: Record<string, string> = {},
): Promise<GatewayTestServer> {
  const db = await freshDatabase('sqlite');
  const apiKey = `test_${randomBytes(16).toString('hex')}`;
  const logs: Record<string, any>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') {
          logs.push(JSON.parse(line));
        }
      }
      done();
    },
  });
  const config = loadConfig({
    PALAVER_PORT: '0',
    PALAVER_HOST: '127.0.0.1',
    PALAVER_DATA_DIR: db.dataDir,
    PALAVER_API_KEY: apiKey,
    PALAVER_SESSION_GRACE_SECS: '0.3',
    ...env,
  });
  const server = await PalaverServer.create({
    config,
    logger: pino({ level: 'info' }, sink),
    media: true,
  });
  const url = await server.listen();
  return {
    server,
    url,
    apiKey,
    logs,
    close: async () => {
      await server.close();
      db.cleanup();
    },
  };
}

/** A keyless Janus client on the server's AudioBridge, to look at what Janus holds. */
export async function audioBridgeObserver(server: PalaverServer): Promise<JanusHandle> {
  const client = await server.media!.supervisor.createClient();
  return (await client.createSession()).attach('janus.plugin.audiobridge');
}

/** The refusal lines the gateway logged. */
export function refusalLines(logs: Record<string, any>[]): Record<string, any>[] {
  return logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('gateway refused'));
}

export interface Closed {
  code: number;
  reason: string;
}

/**
 * A plain Janus-API client of the gateway, speaking the protocol the way `@telnyx/video` does
 * (client_token on every frame).
 */
export class JanusWire {
  readonly frames: any[] = [];
  readonly closed: Promise<Closed>;
  token: string;
  sessionId: number | undefined;
  readonly #ws: WebSocket;
  readonly #waiters: { match: (f: any) => boolean; resolve: (f: any) => void }[] = [];

  private constructor(ws: WebSocket, token: string) {
    this.#ws = ws;
    this.token = token;
    ws.on('message', (data) => {
      const frame = JSON.parse((data as Buffer).toString('utf8'));
      this.frames.push(frame);
      for (const waiter of [...this.#waiters]) {
        if (waiter.match(frame)) {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          waiter.resolve(frame);
        }
      }
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })),
    );
  }

  static async open(baseUrl: string, roomId: string, token: string): Promise<JanusWire> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/${roomId}/janus`, 'janus-protocol');
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new JanusWire(ws, token);
  }

  get open(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  sendRaw(data: string | Buffer): void {
    this.#ws.send(data);
  }

  /** Sends a request and resolves with its answer (the event for plugin messages). */
  request(frame: Record<string, unknown>, options: { untilEvent?: boolean } = {}): Promise<any> {
    const transaction = randomUUID();
    const untilEvent = options.untilEvent ?? frame.janus === 'message';
    const reply = this.next(
      (f) => f.transaction === transaction && (!untilEvent || f.janus !== 'ack'),
    );
    this.#ws.send(
      JSON.stringify({
        client_token: this.token,
        ...(this.sessionId !== undefined && { session_id: this.sessionId }),
        ...frame,
        transaction,
      }),
    );
    return reply;
  }

  /** Waits for the next frame (from now on) that matches. */
  next(match: (frame: any) => boolean, timeoutMs = 5000): Promise<any> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching frame')), timeoutMs);
      this.#waiters.push({
        match,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
  }

  async createSession(): Promise<number> {
    const reply = await this.request({ janus: 'create' });
    this.sessionId = reply.data.id;
    return reply.data.id;
  }

  async attach(plugin: 'audiobridge' | 'videoroom' | 'textroom'): Promise<number> {
    const reply = await this.request({ janus: 'attach', plugin: `janus.plugin.${plugin}` });
    return reply.data.id;
  }

  message(handleId: number, body: Record<string, unknown>, jsep?: unknown): Promise<any> {
    return this.request({
      janus: 'message',
      handle_id: handleId,
      body,
      ...(jsep !== undefined && { jsep }),
    });
  }

  close(): void {
    this.#ws.close(1000);
  }

  /**
   * Stops reading from the socket, like a client whose network died without a FIN/RST: pings go
   * unanswered and nothing the server sends arrives. `resume()` reads again.
   */
  goSilent(): void {
    this.#ws.pause();
  }

  resume(): void {
    this.#ws.resume();
  }
}

/** base64 of UTF-8 JSON, as the SDK encodes a display. */
export function display(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64');
}
