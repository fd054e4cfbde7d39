import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import Telnyx from 'telnyx';

/** What the receiver does with a request: answer with a status, or never answer. */
export type ReceiverAnswer = number | 'hang';

export interface ReceivedWebhook {
  path: string;
  body: string;
  headers: Record<string, string>;
  /** The parsed event, verified with the official telnyx SDK; undefined when that failed. */
  event: any;
  verifyError: unknown;
  answer: ReceiverAnswer;
  at: number;
}

/**
 * A webhook endpoint on 127.0.0.1 that verifies every request with the official `telnyx` SDK's
 * `webhooks.unwrap` and answers as the test says. It can go away (connection refused) and come
 * back on the same port.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** Decides the answer for each request; 200 by default. */
  answer: (request: { path: string; event: any }) => ReceiverAnswer = () => 200;
  /** Requests that have arrived, including those still being answered. */
  arrived = 0;
  /** Extra time before answering, to let deliveries overlap. */
  delayMs = 0;
  readonly #client: Telnyx;
  readonly #sockets = new Set<Socket>();
  readonly #waiters = new Set<() => void>();
  #server: Server | undefined;
  #port = 0;

  private constructor(publicKey: string) {
    this.#client = new Telnyx({ apiKey: 'unused', publicKey, maxRetries: 0 });
  }

  static async start(publicKey: string): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(publicKey);
    await receiver.up();
    return receiver;
  }

  /** `http://127.0.0.1:<port><path>`. */
  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.#port}${path}`;
  }

  /** Requests answered with a 2xx. */
  get accepted(): ReceivedWebhook[] {
    return this.received.filter((r) => typeof r.answer === 'number' && r.answer < 300);
  }

  async up(): Promise<void> {
    if (this.#server !== undefined) {
      return;
    }
    const server = createServer((request, response) => void this.#handle(request, response));
    server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    server.listen(this.#port, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    this.#port = typeof address === 'object' && address !== null ? address.port : 0;
    this.#server = server;
  }

  /** Stops listening and drops every connection: senders now get "connection refused". */
  async down(): Promise<void> {
    const server = this.#server;
    if (server === undefined) {
      return;
    }
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.#sockets) {
      socket.destroy();
    }
    await closed;
  }

  /** Resolves once `predicate` holds for what was received (checked on every request). */
  async waitFor(predicate: () => boolean, timeoutMs = 10_000, what = 'webhooks'): Promise<void> {
    if (predicate()) {
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (predicate()) {
          clearTimeout(timer);
          this.#waiters.delete(check);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; received ${this.received.length}`));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.arrived++;
    const chunks: Buffer[] = [];
    for await (const chunk of request) {
      chunks.push(chunk as Buffer);
    }
    const body = Buffer.concat(chunks).toString('utf8');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) {
        headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
    }
    let event: any;
    let verifyError: unknown;
    try {
      event = await this.#client.webhooks.unwrap(body, { headers });
    } catch (error) {
      verifyError = error;
    }
    const path = request.url ?? '/';
    const answer: ReceiverAnswer = verifyError === undefined ? this.answer({ path, event }) : 400;
    if (this.delayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    }
    this.received.push({ path, body, headers, event, verifyError, answer, at: Date.now() });
    if (answer !== 'hang') {
      response.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'no');
    }
    for (const waiter of [...this.#waiters]) {
      waiter();
    }
  }
}
