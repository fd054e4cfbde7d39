import { timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { SafeEventEmitter } from '../SafeEventEmitter.js';
import { janusEventAuthorization } from './JanusConfig.js';

/** One event as Janus's sample event handler posts it. */
export interface JanusEvent {
  /** Janus's event type bit: 1 session, 2 handle, 8 JSEP, 16 WebRTC, 32 media, 64 plugin, 256 core, … */
  type: number;
  timestamp?: number;
  session_id?: number;
  handle_id?: number;
  emitter?: string;
  event?: Record<string, unknown>;
}

export interface JanusEventReceiverEvents {
  event: [event: JanusEvent];
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * The HTTP endpoint, on loopback, that Janus's sample event handler posts to. Janus can only
 * authenticate with HTTP basic auth, so the secret travels as its password; anything else is
 * dropped with one log line. Janus ignores the status code, so every request gets an answer
 * quickly and the handler never retries a batch we refused.
 */
export class JanusEventReceiver extends SafeEventEmitter<JanusEventReceiverEvents> {
  readonly #server: Server;
  readonly #expected: Buffer;
  readonly #logger: Logger;
  #closing: Promise<void> | undefined;

  private constructor(server: Server, secret: string, logger: Logger) {
    super((error) => logger.error({ err: error }, 'janus event listener failed'));
    this.#server = server;
    this.#expected = Buffer.from(janusEventAuthorization(secret));
    this.#logger = logger;
    server.on('request', (request: IncomingMessage, response: ServerResponse) =>
      this.#receive(request, response),
    );
  }

  /** Listens on a free loopback port. */
  static async start(secret: string, logger: Logger): Promise<JanusEventReceiver> {
    const server = createServer();
    const receiver = new JanusEventReceiver(server, secret, logger);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return receiver;
  }

  /** The URL to give Janus's event handler. */
  get url(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/`;
  }

  close(): Promise<void> {
    this.#closing ??= new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closing;
  }

  #receive(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
      }
    });
    request.on('end', () => {
      response.writeHead(200).end();
      if (!this.#authorized(request.headers.authorization)) {
        this.#logger.warn(
          { remote: request.socket.remoteAddress },
          'janus event refused: bad credentials',
        );
        return;
      }
      if (size > MAX_BODY_BYTES) {
        this.#logger.warn({ bytes: size }, 'janus event batch too large; dropped');
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        this.#logger.warn('janus event batch is not JSON; dropped');
        return;
      }
      for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
        if (
          typeof item === 'object' &&
          item !== null &&
          typeof (item as JanusEvent).type === 'number'
        ) {
          this.safeEmit('event', item as JanusEvent);
        }
      }
    });
  }

  #authorized(header: string | undefined): boolean {
    if (header === undefined) {
      return false;
    }
    const given = Buffer.from(header);
    return given.length === this.#expected.length && timingSafeEqual(given, this.#expected);
  }
}
