import { randomBytes } from 'node:crypto';
import { pino, type Logger } from 'pino';
import WebSocket from 'ws';
import { ErrorCode } from '../errors.js';
import { JanusApiError, JanusClosedError, JanusError, JanusTimeoutError } from './JanusErrors.js';
import type {
  JanusFrame,
  JanusReplyKind,
  JanusRequester,
  JanusServerInfo,
} from './JanusMessages.js';
import { JanusSession } from './JanusSession.js';
import { SafeEventEmitter } from '../SafeEventEmitter.js';

export const JANUS_PROTOCOL = 'janus-protocol';

export interface JanusClientOptions {
  /** `ws://127.0.0.1:<port>` of the Janus WebSocket transport. */
  url: string;
  logger?: Logger;
  /** Sent as `apisecret` with every request when Janus is configured with one. */
  apiSecret?: string;
  /** How long a request waits for its reply (default 10 s). */
  requestTimeoutMs?: number;
  /** How long the WebSocket handshake may take (default 5 s). */
  connectTimeoutMs?: number;
  /** Keepalive period of sessions; below Janus's `session_timeout` (default 20 s, 0 = none). */
  keepaliveIntervalMs?: number;
}

export interface JanusClientEvents {
  /** The WebSocket closed (by `close()` or because Janus went away); emitted once. */
  close: [{ code: number; reason: string; byClient: boolean }];
}

interface Pending {
  request: string;
  replyKind: JanusReplyKind;
  resolve: (frame: JanusFrame) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * A WebSocket client of the Janus API. It matches replies to requests by transaction (Janus
 * answers plugin messages from a thread pool, so replies can come back out of order), routes
 * events to sessions and handles, and never reconnects: when Janus restarts, its sessions are
 * gone anyway, and the owner builds a new client.
 */
export class JanusClient extends SafeEventEmitter<JanusClientEvents> implements JanusRequester {
  readonly url: string;
  readonly #ws: WebSocket;
  readonly #logger: Logger;
  readonly #apiSecret: string | undefined;
  readonly #requestTimeoutMs: number;
  readonly #keepaliveIntervalMs: number;
  readonly #pending = new Map<string, Pending>();
  readonly #sessions = new Map<number, JanusSession>();
  readonly #transactionPrefix = randomBytes(6).toString('base64url');
  #transactionCounter = 0;
  #closed = false;
  #closing = false;

  private constructor(ws: WebSocket, options: JanusClientOptions, logger: Logger) {
    super((error, event) => logger.error({ err: error, event }, 'janus client listener failed'));
    this.url = options.url;
    this.#ws = ws;
    this.#logger = logger;
    this.#apiSecret = options.apiSecret;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.#keepaliveIntervalMs = options.keepaliveIntervalMs ?? 20_000;
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('close', (code, reason) => this.#onClose(code, reason.toString('utf8')));
    ws.on('error', (error) =>
      this.#logger.warn({ err: error, url: this.url }, 'janus websocket error'),
    );
  }

  /** Opens the WebSocket (subprotocol `janus-protocol`). */
  static async connect(options: JanusClientOptions): Promise<JanusClient> {
    const logger = options.logger ?? pino({ level: 'silent' });
    const timeoutMs = options.connectTimeoutMs ?? 5_000;
    const ws = new WebSocket(options.url, JANUS_PROTOCOL, {
      handshakeTimeout: timeoutMs,
      perMessageDeflate: false,
    });
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error): void => {
        cleanup();
        ws.terminate();
        reject(
          new JanusClosedError(`cannot connect to Janus at ${options.url}: ${error.message}`, {
            cause: error,
          }),
        );
      };
      const onOpen = (): void => {
        cleanup();
        resolve();
      };
      const onClose = (code: number): void =>
        fail(new Error(`closed during the handshake (code ${code})`));
      const cleanup = (): void => {
        ws.off('open', onOpen);
        ws.off('error', fail);
        ws.off('close', onClose);
      };
      ws.on('open', onOpen);
      ws.on('error', fail);
      ws.on('close', onClose);
    });
    if (ws.protocol !== JANUS_PROTOCOL) {
      ws.terminate();
      throw new JanusClosedError(`${options.url} did not accept the ${JANUS_PROTOCOL} subprotocol`);
    }
    return new JanusClient(ws, options, logger);
  }

  get closed(): boolean {
    return this.#closed;
  }

  get sessions(): ReadonlyMap<number, JanusSession> {
    return this.#sessions;
  }

  /** Janus's `server_info`: version, plugins, transports, event handlers. */
  async info(): Promise<JanusServerInfo> {
    const reply = await this.request({ janus: 'info' });
    return reply as unknown as JanusServerInfo;
  }

  async ping(): Promise<void> {
    await this.request({ janus: 'ping' });
  }

  async createSession(): Promise<JanusSession> {
    const reply = await this.request({ janus: 'create' });
    const id = reply.data?.id;
    if (typeof id !== 'number') {
      throw new JanusError(ErrorCode.Internal, 'Janus create answered without a session id');
    }
    const session = new JanusSession({
      id,
      requester: this,
      logger: this.#logger,
      keepaliveIntervalMs: this.#keepaliveIntervalMs,
      onClosed: (s) => this.#sessions.delete(s.id),
    });
    if (this.#closed) {
      session.closeLocally('connection closed');
      throw new JanusClosedError();
    }
    this.#sessions.set(id, session);
    return session;
  }

  /**
   * Sends one request and resolves with its reply frame. Low level: sessions and handles add
   * their ids; `replyKind: 'ack'` for requests that Janus only acknowledges (keepalive, trickle).
   * A core `error` rejects with `JanusApiError`.
   */
  request(
    body: { janus: string; [field: string]: unknown },
    options: { replyKind?: JanusReplyKind; timeoutMs?: number } = {},
  ): Promise<JanusFrame> {
    if (this.#closed || this.#closing || this.#ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new JanusClosedError());
    }
    const transaction = `${this.#transactionPrefix}-${++this.#transactionCounter}`;
    const frame: Record<string, unknown> = { ...body, transaction };
    if (this.#apiSecret !== undefined) {
      frame.apisecret = this.#apiSecret;
    }
    const timeoutMs = options.timeoutMs ?? this.#requestTimeoutMs;
    const name = describe(body);
    return new Promise<JanusFrame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(transaction);
        reject(new JanusTimeoutError(name, timeoutMs));
      }, timeoutMs);
      this.#pending.set(transaction, {
        request: name,
        replyKind: options.replyKind ?? 'final',
        resolve,
        reject,
        timer,
      });
      this.#ws.send(JSON.stringify(frame), (error) => {
        if (error !== undefined && error !== null) {
          this.#settle(
            transaction,
            new JanusClosedError(`sending ${name} failed`, { cause: error }),
          );
        }
      });
    });
  }

  /** Closes the WebSocket; Janus then destroys this connection's sessions. Idempotent. */
  close(): void {
    if (this.#closed || this.#closing) {
      return;
    }
    this.#closing = true;
    // Janus drops the sessions of a closed transport itself (reclaim_session_timeout = 0).
    this.#closeChildren('client closed');
    this.#ws.close(1000, 'closing');
    // If the peer never answers the close handshake, do not wait forever.
    const kill = setTimeout(() => this.#ws.terminate(), 2_000);
    kill.unref();
    this.#ws.once('close', () => clearTimeout(kill));
  }

  #onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (isBinary) {
      this.#logger.warn('janus: unexpected binary frame');
      return;
    }
    let frame: JanusFrame;
    try {
      frame = JSON.parse(rawText(data)) as JanusFrame;
    } catch (error) {
      this.#logger.warn({ err: error }, 'janus: unparsable frame');
      return;
    }
    if (typeof frame !== 'object' || frame === null || typeof frame.janus !== 'string') {
      this.#logger.warn({ frame }, 'janus: frame without "janus"');
      return;
    }
    const transaction = frame.transaction;
    if (transaction !== undefined && this.#pending.has(transaction)) {
      this.#onReply(transaction, frame);
      return;
    }
    if (typeof frame.session_id === 'number') {
      const session = this.#sessions.get(frame.session_id);
      if (session !== undefined) {
        session.dispatch(frame);
        return;
      }
    }
    this.#logger.debug({ frame }, 'janus: frame for no known session');
  }

  #onReply(transaction: string, frame: JanusFrame): void {
    const pending = this.#pending.get(transaction);
    if (pending === undefined) {
      return;
    }
    switch (frame.janus) {
      case 'ack':
        if (pending.replyKind === 'ack') {
          this.#settle(transaction, frame);
        }
        // Otherwise an async plugin request: its event (same transaction) follows.
        return;
      case 'error':
        this.#settle(
          transaction,
          new JanusApiError(
            frame.error?.code ?? 490,
            frame.error?.reason ?? 'unknown error',
            pending.request,
          ),
        );
        return;
      default:
        this.#settle(transaction, frame);
    }
  }

  #settle(transaction: string, outcome: JanusFrame | Error): void {
    const pending = this.#pending.get(transaction);
    if (pending === undefined) {
      return;
    }
    this.#pending.delete(transaction);
    clearTimeout(pending.timer);
    if (outcome instanceof Error) {
      pending.reject(outcome);
    } else {
      pending.resolve(outcome);
    }
  }

  #closeChildren(reason: string): void {
    for (const transaction of [...this.#pending.keys()]) {
      this.#settle(transaction, new JanusClosedError(`connection to Janus closed (${reason})`));
    }
    for (const session of [...this.#sessions.values()]) {
      session.closeLocally(reason);
    }
    this.#sessions.clear();
  }

  #onClose(code: number, reason: string): void {
    if (this.#closed) {
      return;
    }
    const byClient = this.#closing;
    this.#closed = true;
    this.#closeChildren(byClient ? 'client closed' : 'connection lost');
    if (!byClient) {
      this.#logger.warn({ url: this.url, code, reason }, 'janus connection lost');
    }
    this.safeEmit('close', { code, reason, byClient });
    this.removeAllListeners();
  }
}

function describe(body: { janus: string; [field: string]: unknown }): string {
  const inner = body.body as { request?: unknown } | undefined;
  return typeof inner?.request === 'string' ? `${body.janus}/${inner.request}` : body.janus;
}

function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) {
    return Buffer.concat(data).toString('utf8');
  }
  if (data instanceof ArrayBuffer) {
    return Buffer.from(data).toString('utf8');
  }
  return data.toString('utf8');
}
