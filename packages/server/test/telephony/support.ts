import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { PalaverServer } from '../../src/PalaverServer.js';
import type { Dialect } from '../support/testServer.js';
import { apiClient, freshDatabase } from '../support/testServer.js';

export interface TelephonyTestServer {
  server: PalaverServer;
  url: string;
  apiKey: string;
  /** JSON API client with the key. */
  api: ReturnType<typeof apiClient>;
  /** Log lines written so far (JSON objects). */
  logs: Record<string, any>[];
  close(): Promise<void>;
}

/** A server without media on a fresh database, with extra environment and a captured log. */
export async function startTelephonyServer(
  dialect: Dialect,
  env: Record<string, string> = {},
): Promise<TelephonyTestServer> {
  const db = await freshDatabase(dialect);
  const apiKey = `test_${randomBytes(16).toString('hex')}`;
  const logs: Record<string, any>[] = [];
  const sink = logSink(logs);
  const config = loadConfig({
    PALAVER_PORT: '0',
    PALAVER_HOST: '127.0.0.1',
    PALAVER_DATA_DIR: db.dataDir,
    PALAVER_API_KEY: apiKey,
    ...(db.databaseUrl !== undefined && { PALAVER_DATABASE_URL: db.databaseUrl }),
    ...env,
  });
  const server = await PalaverServer.create({
    config,
    logger: pino({ level: 'info' }, sink),
    media: false,
  });
  const url = await server.listen();
  return {
    server,
    url,
    apiKey,
    api: apiClient(url, apiKey),
    logs,
    close: async () => {
      await server.close();
      db.cleanup();
    },
  };
}

/** The `whk_…` path of a webhook URL on this server (the host part may be a public URL). */
export function hookUrl(t: TelephonyTestServer, webhookUrl: string): string {
  return `${t.url}${new URL(webhookUrl).pathname}`;
}

/**
 * Creates a Telnyx connector whose calls land in `room` (an id or unique name) and returns its
 * TeXML webhook URL on the server at `serverUrl`.
 */
export async function connectorInto(
  api: ReturnType<typeof apiClient>,
  serverUrl: string,
  room: string,
  settings: Record<string, unknown> = {},
): Promise<string> {
  const connector = await api('POST', '/v2/connectors', {
    provider: 'telnyx',
    defaultRoomId: room,
    ...settings,
  });
  if (connector.status !== 201) {
    throw new Error(`connector not created: ${connector.status} ${JSON.stringify(connector.body)}`);
  }
  return `${serverUrl}${new URL(connector.body.data.webhookUrl).pathname}`;
}

/** Telnyx's voice webhook fields for a call from `from` to `to`. */
export function voiceFields(from: string, to: string, extra: Record<string, string> = {}) {
  return {
    AccountSid: '6a9a7976-012e-45d2-9258-6f5dc68d861e',
    CallSid: `v3:${randomBytes(12).toString('base64url')}`,
    CallSidLegacy: 'same',
    From: from,
    To: to,
    ConnectionId: '1568109700606592442',
    ApiVersion: '2010-04-01',
    CallStatus: 'ringing',
    ...extra,
  };
}

/** POSTs a form-encoded voice webhook the way Telnyx does. */
export async function postVoiceWebhook(
  url: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; contentType: string | null }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  return {
    status: response.status,
    body: await response.text(),
    contentType: response.headers.get('content-type'),
  };
}

/** The `ref` of the stream URL in a TeXML answer. */
export function refOf(texml: string): string {
  const match = /url="[^"]*[?&](?:amp;)?ref=([A-Za-z0-9]+)"/.exec(texml);
  if (match?.[1] === undefined) {
    throw new Error(`no stream ref in ${texml}`);
  }
  return match[1];
}

export interface CapturedRequest {
  path: string;
  body: string;
  headers: IncomingMessage['headers'];
}

/** An HTTP endpoint on 127.0.0.1 that records requests and answers as told (200 by default). */
export class CallWebhookReceiver {
  readonly received: CapturedRequest[] = [];
  answer: (request: CapturedRequest) => number = () => 200;
  readonly #server: Server;
  #waiters: (() => void)[] = [];

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<CallWebhookReceiver> {
    const server = createServer();
    const receiver = new CallWebhookReceiver(server);
    server.on('request', (request: IncomingMessage, response: ServerResponse) =>
      receiver.#handle(request, response),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const captured = {
        path: request.url ?? '',
        body: Buffer.concat(chunks).toString('utf8'),
        headers: request.headers,
      };
      this.received.push(captured);
      response.statusCode = this.answer(captured);
      response.end();
      const waiters = this.#waiters;
      this.#waiters = [];
      waiters.forEach((w) => w());
    });
  }

  url(path = '/calls'): string {
    const address = this.#server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    return `http://127.0.0.1:${port}${path}`;
  }

  /** Resolves once `count` requests (in all) have arrived; rejects after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 10_000): Promise<CapturedRequest[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`expected ${count} webhooks, got ${this.received.length}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** Collects JSON log lines from a logger for one test. */
export function logSink(lines: Record<string, any>[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as Record<string, any>);
      }
      done();
    },
  });
}
