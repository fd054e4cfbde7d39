import type { Logger } from '../Logger.js';
import type { DisconnectionReason, Unsubscribe } from '../types.js';
import { DisconnectionReason as Reason } from '../types.js';
import { uuid } from '../ids.js';
import { VideoError } from '../VideoError.js';
import { closeCodeForReason, reasonForCloseCode, reasonForStatusCode } from './closeReasons.js';
import type { JanusFrame, JanusPlugin, PluginData } from './janusFrames.js';
import { parseFrame } from './janusFrames.js';
import type { SignalSocket, SignalSocketFactory } from './SignalSocket.js';

/** The WebSocket subprotocol of the Janus API. */
export const JANUS_PROTOCOL = 'janus-protocol';

export interface JanusSessionOptions {
  /** `wss://<server>/<roomId>/janus`. */
  url: string;
  clientToken: string;
  socketFactory: SignalSocketFactory;
  logger: Logger;
  /** Default: 5000 ms, as `@telnyx/video`. */
  keepaliveIntervalMs?: number;
  /** A keepalive unanswered for this long means the connection is dead. Default: 15 000 ms. */
  keepaliveTimeoutMs?: number;
  /** Default: 30 000 ms. */
  requestTimeoutMs?: number;
  /** Opening the socket and creating the session. Default: 30 000 ms. */
  openTimeoutMs?: number;
}

export interface JanusSessionCallbacks {
  /** The session ended (once, and only for a session that `open()` returned). */
  closed(reason: DisconnectionReason, session: JanusSession): void;
  /** A keepalive was acknowledged after `rttMs`. */
  keepalive?(rttMs: number): void;
}

/** A plugin's answer to a `message`. */
export interface PluginReply {
  data: PluginData;
  jsep: RTCSessionDescriptionInit | undefined;
}

interface PendingRequest {
  accept(frame: JanusFrame): boolean;
  resolve(frame: JanusFrame): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * The Janus signalling client: one WebSocket, one Janus session. Every request carries a fresh
 * `transaction` and the current `client_token`; replies are matched on the transaction, and
 * events that answer no request are routed to the handle named by their `sender`.
 */
export class JanusSession {
  readonly #options: Required<Omit<JanusSessionOptions, 'socketFactory' | 'logger'>>;
  readonly #logger: Logger;
  readonly #callbacks: JanusSessionCallbacks;
  readonly #pending = new Map<string, PendingRequest>();
  readonly #handleListeners = new Map<number, (frame: JanusFrame) => void>();
  #socket: SignalSocket | undefined;
  #token: string;
  #id = 0;
  #opened = false;
  #finished = false;
  /** Why the session is ending, when known before the socket closes (refusal, own decision). */
  #reason: DisconnectionReason | undefined;
  #keepaliveTimer: ReturnType<typeof setInterval> | undefined;
  #onOpenFailed: (error: Error) => void = () => undefined;

  private constructor(options: JanusSessionOptions, callbacks: JanusSessionCallbacks) {
    this.#options = {
      url: options.url,
      clientToken: options.clientToken,
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? 5_000,
      keepaliveTimeoutMs: options.keepaliveTimeoutMs ?? 15_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      openTimeoutMs: options.openTimeoutMs ?? 30_000,
    };
    this.#logger = options.logger;
    this.#callbacks = callbacks;
    this.#token = options.clientToken;
  }

  /** Opens the socket and creates the Janus session; keepalives start once it exists. */
  static open(
    options: JanusSessionOptions,
    callbacks: JanusSessionCallbacks,
  ): Promise<JanusSession> {
    const session = new JanusSession(options, callbacks);
    return session.#open(options.socketFactory);
  }

  /** The Janus session id. */
  get id(): number {
    return this.#id;
  }

  get clientToken(): string {
    return this.#token;
  }

  /** Whether the session has ended. */
  get finished(): boolean {
    return this.#finished;
  }

  #open(socketFactory: SignalSocketFactory): Promise<JanusSession> {
    return new Promise<JanusSession>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#onOpenFailed(
          VideoError.timedOut(`no session after ${this.#options.openTimeoutMs} ms`),
        );
      }, this.#options.openTimeoutMs);
      this.#onOpenFailed = (error) => {
        clearTimeout(timer);
        this.#finish(Reason.NETWORK_ERROR);
        this.#socket?.close();
        reject(error);
      };
      this.#socket = socketFactory(this.#options.url, JANUS_PROTOCOL, {
        open: () => {
          this.#request({ janus: 'create' }, (frame) => frame.janus === 'success')
            .then((frame) => {
              const id = frame.data?.id;
              if (typeof id !== 'number' || !Number.isInteger(id) || id === 0) {
                throw VideoError.mediaServer(0, `invalid session id [${String(id)}]`);
              }
              clearTimeout(timer);
              this.#id = id;
              this.#opened = true;
              this.#startKeepalive();
              this.#logger.debug('session created', id);
              resolve(this);
            })
            .catch((error: unknown) => this.#onOpenFailed(asError(error)));
        },
        message: (text) => this.#onFrame(text),
        close: (code, reason) => this.#onSocketClosed(code, reason),
      });
    });
  }

  /** Attaches a plugin handle and returns its id. */
  async attach(plugin: JanusPlugin): Promise<number> {
    const frame = await this.#request(
      { janus: 'attach', plugin },
      (reply) => reply.janus === 'success',
    );
    const id = frame.data?.id;
    if (typeof id !== 'number') {
      throw VideoError.mediaServer(0, `attach ${plugin} returned no handle id`);
    }
    return id;
  }

  /**
   * Sends a plugin request and resolves with the plugin's answer (Janus acks asynchronous
   * requests first; the answer follows as an event with the same transaction). A plugin error
   * (`error_code`) rejects.
   */
  async message(
    handleId: number,
    body: Record<string, unknown>,
    jsep?: RTCSessionDescriptionInit,
  ): Promise<PluginReply> {
    const frame = await this.#request(
      {
        janus: 'message',
        handle_id: handleId,
        body,
        ...(jsep === undefined ? {} : { jsep: { type: jsep.type, sdp: jsep.sdp } }),
      },
      (reply) => (reply.janus === 'event' || reply.janus === 'success') && !!reply.plugindata,
    );
    const data = frame.plugindata?.data ?? {};
    if (typeof data.error_code === 'number') {
      throw VideoError.mediaServer(
        data.error_code,
        `${String(body.request)} failed: ${String(data.error)}`,
      );
    }
    return { data, jsep: frame.jsep };
  }

  /** Sends a local ICE candidate of a handle's PeerConnection (`null`: gathering completed). */
  async trickle(handleId: number, candidate: RTCIceCandidateInit | null): Promise<void> {
    await this.#request(
      {
        janus: 'trickle',
        handle_id: handleId,
        candidate: candidate ?? { completed: true },
      },
      (reply) => reply.janus === 'ack',
    );
  }

  /** Detaches a handle; a no-op once the session has ended (Janus dropped it already). */
  async detach(handleId: number): Promise<void> {
    this.#handleListeners.delete(handleId);
    if (this.#finished) {
      return;
    }
    await this.#request(
      { janus: 'detach', handle_id: handleId },
      (reply) => reply.janus === 'success',
    );
  }

  /** Routes the events of one handle that answer no request to `listener`. */
  onHandleEvent(handleId: number, listener: (frame: JanusFrame) => void): Unsubscribe {
    this.#handleListeners.set(handleId, listener);
    return () => {
      if (this.#handleListeners.get(handleId) === listener) {
        this.#handleListeners.delete(handleId);
      }
    };
  }

  /** Uses `token` from now on; a keepalive carries it to the server at once. */
  async updateClientToken(token: string): Promise<void> {
    this.#token = token;
    await this.#keepalive();
  }

  /**
   * Ends the session for `reason`: sends `destroy` and closes the socket. The `closed` callback
   * runs at once; nothing more is sent or received. Idempotent.
   */
  destroy(reason: DisconnectionReason): void {
    if (this.#finished) {
      return;
    }
    this.#send({ janus: 'destroy', transaction: uuid() });
    this.#reason ??= reason;
    this.#finish(this.#reason);
    this.#socket?.close(closeCodeForReason(reason));
  }

  /** Ends the session without a word to the server (its connection is gone). Idempotent. */
  abort(reason: DisconnectionReason): void {
    if (this.#finished) {
      return;
    }
    this.#reason ??= reason;
    this.#finish(this.#reason);
    this.#socket?.close();
  }

  #request(
    body: Record<string, unknown> & { janus: string },
    accept: (frame: JanusFrame) => boolean,
    timeoutMs = this.#options.requestTimeoutMs,
  ): Promise<JanusFrame> {
    if (this.#finished) {
      return Promise.reject(VideoError.connectionLost(`${body.janus}: the session has ended`));
    }
    const transaction = uuid();
    return new Promise<JanusFrame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(transaction);
        reject(VideoError.timedOut(`${body.janus}: no answer after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(transaction, { accept, resolve, reject, timer });
      this.#send({ ...body, transaction });
    });
  }

  #send(frame: Record<string, unknown>): void {
    const full: Record<string, unknown> = { ...frame, client_token: this.#token };
    if (this.#id !== 0) {
      full.session_id = this.#id;
    }
    this.#logger.trace('send', full);
    this.#socket?.send(JSON.stringify(full));
  }

  #onFrame(text: string): void {
    if (this.#finished) {
      return;
    }
    const frame = parseFrame(text);
    if (frame === undefined) {
      this.#logger.warn('ignoring a frame that is not a Janus message', text.slice(0, 200));
      return;
    }
    this.#logger.trace('receive', frame);
    const pending =
      frame.transaction === undefined ? undefined : this.#pending.get(frame.transaction);
    if (typeof frame.status_code === 'number') {
      this.#onRefusal(frame, frame.status_code, pending);
      return;
    }
    if (pending !== undefined && frame.transaction !== undefined) {
      if (frame.janus === 'error') {
        this.#settle(frame.transaction, pending);
        pending.reject(
          VideoError.mediaServer(frame.error?.code ?? 0, frame.error?.reason ?? 'janus error'),
        );
      } else if (pending.accept(frame)) {
        this.#settle(frame.transaction, pending);
        pending.resolve(frame);
      }
      return;
    }
    if (frame.plugindata?.data.videoroom === 'destroyed') {
      // The room went away under us: the server ended it.
      this.#logger.info('the room was destroyed');
      this.destroy(Reason.SESSION_TERMINATED);
      return;
    }
    if (frame.sender !== undefined) {
      this.#handleListeners.get(frame.sender)?.(frame);
    }
  }

  /**
   * A gateway refusal. Refusals of one request (400, 403, 429) reject that request; an invalid
   * token (401), an unavailable server (503) or a refusal of nothing in particular end the session.
   */
  #onRefusal(frame: JanusFrame, status: number, pending: PendingRequest | undefined): void {
    const message = frame.error_message ?? frame.error?.reason ?? `refused (${status})`;
    const error = VideoError.refused(status, message);
    if (pending !== undefined && frame.transaction !== undefined) {
      this.#settle(frame.transaction, pending);
      pending.reject(error);
    }
    this.#logger.warn(`refused (${status}): ${message}`);
    if (pending === undefined || status === 401 || status === 503) {
      this.#reason ??= reasonForStatusCode(status) ?? Reason.UNKNOWN;
      if (!this.#opened) {
        this.#onOpenFailed(error);
        return;
      }
      this.abort(this.#reason);
    }
  }

  #settle(transaction: string, pending: PendingRequest): void {
    clearTimeout(pending.timer);
    this.#pending.delete(transaction);
  }

  #onSocketClosed(code: number, text: string): void {
    if (this.#finished) {
      return;
    }
    const reason = this.#reason ?? reasonForCloseCode(code);
    this.#logger.info(`connection closed (${code}${text ? `: ${text}` : ''}) → ${reason}`);
    if (!this.#opened) {
      const error = VideoError.connectionLost(`connection closed (${code}) → ${reason}`);
      this.#reason = reason;
      this.#onOpenFailed(error);
      return;
    }
    this.#finish(reason);
  }

  #finish(reason: DisconnectionReason): void {
    if (this.#finished) {
      return;
    }
    this.#finished = true;
    clearInterval(this.#keepaliveTimer);
    for (const [transaction, pending] of this.#pending) {
      this.#settle(transaction, pending);
      pending.reject(VideoError.connectionLost(`the session ended (${reason})`));
    }
    this.#handleListeners.clear();
    if (this.#opened) {
      this.#callbacks.closed(reason, this);
    }
  }

  #startKeepalive(): void {
    this.#keepaliveTimer = setInterval(() => {
      this.#keepalive().catch((error: unknown) => {
        if (!this.#finished && error instanceof VideoError && error.code === 'timed_out') {
          this.#logger.warn('keepalive unanswered: the connection is lost');
          this.abort(Reason.NETWORK_ERROR);
        }
      });
    }, this.#options.keepaliveIntervalMs);
  }

  async #keepalive(): Promise<void> {
    const sentAt = Date.now();
    await this.#request(
      { janus: 'keepalive' },
      (frame) => frame.janus === 'ack',
      this.#options.keepaliveTimeoutMs,
    );
    this.#callbacks.keepalive?.(Date.now() - sentAt);
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
