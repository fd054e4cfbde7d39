import type { Logger } from 'pino';
import { ErrorCode } from '../errors.js';
import { JanusApiError, JanusClosedError, JanusError } from './JanusErrors.js';
import { JanusHandle } from './JanusHandle.js';
import type { JanusFrame, JanusRequester } from './JanusMessages.js';
import { SafeEventEmitter } from '../SafeEventEmitter.js';

export interface JanusSessionEvents {
  /** The session is gone (destroyed, timed out on Janus, or its connection closed); emitted once. */
  closed: [{ reason: string }];
}

export interface JanusAttachOptions {
  /** Reported to event handlers with every event of this handle. */
  opaqueId?: string;
}

/** A Janus session: owns plugin handles and keeps itself alive. */
export class JanusSession extends SafeEventEmitter<JanusSessionEvents> {
  readonly id: number;
  readonly #requester: JanusRequester;
  readonly #logger: Logger;
  readonly #handles = new Map<number, JanusHandle>();
  readonly #onClosed: (session: JanusSession) => void;
  readonly #keepalive: NodeJS.Timeout | undefined;
  #closed = false;

  /** @internal Created by `JanusClient.createSession`. */
  constructor(init: {
    id: number;
    requester: JanusRequester;
    logger: Logger;
    keepaliveIntervalMs: number;
    onClosed: (session: JanusSession) => void;
  }) {
    super((error, event) =>
      init.logger.error({ err: error, event, sessionId: init.id }, 'janus session listener failed'),
    );
    this.id = init.id;
    this.#requester = init.requester;
    this.#logger = init.logger;
    this.#onClosed = init.onClosed;
    if (init.keepaliveIntervalMs > 0) {
      this.#keepalive = setInterval(() => this.#sendKeepalive(), init.keepaliveIntervalMs);
      // A keepalive alone must not keep the process running.
      this.#keepalive.unref();
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  get handles(): ReadonlyMap<number, JanusHandle> {
    return this.#handles;
  }

  /** Attaches to a plugin. */
  async attach(plugin: string, options: JanusAttachOptions = {}): Promise<JanusHandle> {
    const reply = await this.#request({
      janus: 'attach',
      plugin,
      ...(options.opaqueId === undefined ? {} : { opaque_id: options.opaqueId }),
    });
    const id = reply.data?.id;
    if (typeof id !== 'number') {
      throw new JanusError(ErrorCode.Internal, `Janus attach answered without a handle id`);
    }
    if (this.#closed) {
      // Closed while attaching: the handle died with the session.
      throw new JanusClosedError(`Janus session ${this.id} closed while attaching`);
    }
    const handle = new JanusHandle({
      id,
      plugin,
      sessionId: this.id,
      requester: this.#requester,
      logger: this.#logger,
      onClosed: (h) => this.#handles.delete(h.id),
    });
    this.#handles.set(id, handle);
    return handle;
  }

  async keepalive(): Promise<void> {
    await this.#request({ janus: 'keepalive' }, 'ack');
  }

  /** Destroys the session in Janus (all its handles go), then closes it. */
  async destroy(): Promise<void> {
    if (this.#closed) {
      return;
    }
    try {
      await this.#request({ janus: 'destroy' });
    } finally {
      this.#close('destroyed');
    }
  }

  /** Closes the session now; a destroy is sent if the connection is still up. Idempotent. */
  close(): void {
    if (this.#closed) {
      return;
    }
    if (!this.#requester.closed) {
      this.#requester
        .request({ janus: 'destroy', session_id: this.id })
        .catch((error: unknown) =>
          this.#logger.debug({ err: error, sessionId: this.id }, 'janus destroy on close failed'),
        );
    }
    this.#close('closed');
  }

  /** @internal Routes a frame of this session. */
  dispatch(frame: JanusFrame): void {
    if (frame.janus === 'timeout') {
      this.#close('timeout');
      return;
    }
    if (typeof frame.sender === 'number') {
      const handle = this.#handles.get(frame.sender);
      if (handle !== undefined) {
        handle.dispatch(frame);
        return;
      }
    }
    this.#logger.debug({ frame, sessionId: this.id }, 'janus: frame for no known handle');
  }

  /** @internal The connection is gone: close without talking to Janus. */
  closeLocally(reason: string): void {
    this.#close(reason);
  }

  #sendKeepalive(): void {
    this.keepalive().catch((error: unknown) => {
      if (error instanceof JanusApiError && error.janusCode === JanusApiError.SESSION_NOT_FOUND) {
        this.#close('timeout');
        return;
      }
      this.#logger.warn({ err: error, sessionId: this.id }, 'janus keepalive failed');
    });
  }

  #close(reason: string): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    if (this.#keepalive !== undefined) {
      clearInterval(this.#keepalive);
    }
    for (const handle of [...this.#handles.values()]) {
      handle.closeLocally(reason);
    }
    this.#handles.clear();
    this.#onClosed(this);
    this.safeEmit('closed', { reason });
    this.removeAllListeners();
  }

  async #request(
    body: { janus: string; [field: string]: unknown },
    replyKind: 'ack' | 'final' = 'final',
  ): Promise<JanusFrame> {
    if (this.#closed) {
      throw new JanusClosedError(`Janus session ${this.id} is closed`);
    }
    return this.#requester.request({ ...body, session_id: this.id }, { replyKind });
  }
}
