import type { Logger } from 'pino';
import { JanusClosedError, JanusPluginError } from './JanusErrors.js';
import type {
  JanusCandidate,
  JanusFrame,
  JanusJsep,
  JanusMediaEvent,
  JanusPluginEvent,
  JanusPluginPayload,
  JanusPluginReply,
  JanusRequester,
  JanusSlowlinkEvent,
} from './JanusMessages.js';
import { SafeEventEmitter } from '../SafeEventEmitter.js';

export interface JanusHandleEvents {
  /** An unsolicited plugin event (someone joined, talking, destroyed, …). */
  event: [JanusPluginEvent];
  /** The PeerConnection is up (DTLS done). */
  webrtcup: [];
  media: [JanusMediaEvent];
  slowlink: [JanusSlowlinkEvent];
  /** The PeerConnection went down; the handle stays attached. */
  hangup: [{ reason: string }];
  /** A candidate of Janus's (full-trickle only) or `null` when gathering is complete. */
  trickle: [JanusCandidate | null];
  /** The handle is gone on the Janus side or locally; emitted once. */
  closed: [{ reason: string }];
}

export interface JanusMessageOptions {
  jsep?: JanusJsep;
  timeoutMs?: number;
}

/** A plugin handle: one attachment of a session to a plugin. */
export class JanusHandle extends SafeEventEmitter<JanusHandleEvents> {
  readonly id: number;
  readonly plugin: string;
  readonly sessionId: number;
  readonly #requester: JanusRequester;
  readonly #logger: Logger;
  readonly #onClosed: (handle: JanusHandle) => void;
  #closed = false;

  /** @internal Created by `JanusSession.attach`. */
  constructor(init: {
    id: number;
    plugin: string;
    sessionId: number;
    requester: JanusRequester;
    logger: Logger;
    onClosed: (handle: JanusHandle) => void;
  }) {
    super((error, event) =>
      init.logger.error({ err: error, event, handleId: init.id }, 'janus handle listener failed'),
    );
    this.id = init.id;
    this.plugin = init.plugin;
    this.sessionId = init.sessionId;
    this.#requester = init.requester;
    this.#logger = init.logger;
    this.#onClosed = init.onClosed;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends a plugin request and resolves with the plugin's answer: the synchronous reply, or the
   * event Janus sends later for this transaction. A plugin `error_code` rejects with
   * `JanusPluginError`.
   */
  async message<T extends JanusPluginPayload = JanusPluginPayload>(
    body: JanusPluginPayload,
    options: JanusMessageOptions = {},
  ): Promise<JanusPluginReply<T>> {
    const frame = await this.#request(
      { janus: 'message', body, ...(options.jsep === undefined ? {} : { jsep: options.jsep }) },
      options.timeoutMs,
    );
    const pluginData = frame.plugindata;
    if (pluginData === undefined) {
      // A plugin that answered nothing synchronous and nothing later (should not happen).
      return { plugin: this.plugin, data: {} as T };
    }
    const data = pluginData.data;
    if (typeof data.error_code === 'number') {
      throw new JanusPluginError(
        pluginData.plugin,
        data.error_code,
        typeof data.error === 'string' ? data.error : 'plugin error',
        data,
      );
    }
    return {
      plugin: pluginData.plugin,
      data: data as T,
      ...(frame.jsep === undefined ? {} : { jsep: frame.jsep }),
    };
  }

  /** Sends one candidate, several, or the end-of-candidates marker (`null`). */
  async trickle(candidate: JanusCandidate | readonly JanusCandidate[] | null): Promise<void> {
    const field =
      candidate === null
        ? { candidate: { completed: true } }
        : Array.isArray(candidate)
          ? { candidates: candidate }
          : { candidate };
    await this.#request({ janus: 'trickle', ...field }, undefined, 'ack');
  }

  /** Closes the PeerConnection; the handle stays attached. */
  async hangup(): Promise<void> {
    await this.#request({ janus: 'hangup' });
  }

  /** Detaches from the plugin (it runs its leave/unpublish) and closes the handle. */
  async detach(): Promise<void> {
    if (this.#closed) {
      return;
    }
    try {
      await this.#request({ janus: 'detach' });
    } finally {
      this.#close('detached');
    }
  }

  /** Closes the handle now; a detach is sent if the connection is still up. Idempotent. */
  close(): void {
    if (this.#closed) {
      return;
    }
    if (!this.#requester.closed) {
      this.#requester
        .request({ janus: 'detach', session_id: this.sessionId, handle_id: this.id })
        .catch((error: unknown) =>
          this.#logger.debug({ err: error, handleId: this.id }, 'janus detach on close failed'),
        );
    }
    this.#close('closed');
  }

  /** @internal Routes a frame whose `sender` is this handle. */
  dispatch(frame: JanusFrame): void {
    if (this.#closed) {
      return;
    }
    switch (frame.janus) {
      case 'event':
        if (frame.plugindata !== undefined) {
          this.safeEmit('event', {
            plugin: frame.plugindata.plugin,
            data: frame.plugindata.data,
            ...(frame.jsep === undefined ? {} : { jsep: frame.jsep }),
          });
        }
        break;
      case 'webrtcup':
        this.safeEmit('webrtcup');
        break;
      case 'media':
        this.safeEmit('media', frame as unknown as JanusMediaEvent);
        break;
      case 'slowlink':
        this.safeEmit('slowlink', frame as unknown as JanusSlowlinkEvent);
        break;
      case 'hangup':
        this.safeEmit('hangup', { reason: typeof frame.reason === 'string' ? frame.reason : '' });
        break;
      case 'trickle': {
        const candidate = frame.candidate as (JanusCandidate & { completed?: boolean }) | undefined;
        this.safeEmit(
          'trickle',
          candidate === undefined || candidate.completed === true ? null : candidate,
        );
        break;
      }
      case 'detached':
        this.#close('detached');
        break;
      default:
        this.#logger.debug({ frame, handleId: this.id }, 'janus: unhandled handle frame');
    }
  }

  /** @internal The session is gone: close without talking to Janus. */
  closeLocally(reason: string): void {
    this.#close(reason);
  }

  #close(reason: string): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#onClosed(this);
    this.safeEmit('closed', { reason });
    this.removeAllListeners();
  }

  async #request(
    body: { janus: string; [field: string]: unknown },
    timeoutMs?: number,
    replyKind: 'ack' | 'final' = 'final',
  ): Promise<JanusFrame> {
    if (this.#closed) {
      throw new JanusClosedError(`Janus handle ${this.id} is closed`);
    }
    return this.#requester.request(
      { ...body, session_id: this.sessionId, handle_id: this.id },
      { replyKind, ...(timeoutMs === undefined ? {} : { timeoutMs }) },
    );
  }
}
