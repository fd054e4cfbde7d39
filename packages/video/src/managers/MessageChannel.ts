import type { JanusSession } from '../janus/JanusSession.js';
import { JanusPlugin, stringField } from '../janus/janusFrames.js';
import type { Logger } from '../Logger.js';
import { uuid } from '../ids.js';
import type { MediaPlatform } from '../media/MediaPlatform.js';
import { closePeerConnection, trickleCandidates } from '../media/peerConnections.js';
import type { Message, ReceivedMessage } from '../types.js';
import { VideoError } from '../VideoError.js';

/** Janus's TextRoom speaks on a data channel of this label. */
const DATA_CHANNEL_LABEL = 'JanusDataChannel';
const REPLY_TIMEOUT_MS = 10_000;
/** The keys of a phone keypad, as Telnyx reports them. */
const DTMF_DIGIT = /^[0-9*#A-D]$/;

export interface MessageChannelOptions {
  session: JanusSession;
  platform: MediaPlatform;
  logger: Logger;
  roomId: string;
  participantId: string;
  onMessage: (from: string, message: ReceivedMessage, recipients: string[] | null) => void;
}

interface PendingReply {
  resolve(): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * The room's chat: a TextRoom handle whose PeerConnection carries only a data channel. The
 * `setup` answer names the TextRoom room (`janus_room_id`, which Palaver keeps secret per room);
 * the participant joins it under its participant id.
 */
export class MessageChannel {
  readonly #session: JanusSession;
  readonly #logger: Logger;
  readonly #handleId: number;
  readonly #pc: RTCPeerConnection;
  readonly #textRoomId: string;
  readonly #participantId: string;
  readonly #onMessage: MessageChannelOptions['onMessage'];
  readonly #pending = new Map<string, PendingReply>();
  #channel: RTCDataChannel | undefined;
  #closed = false;

  private constructor(
    options: MessageChannelOptions,
    handleId: number,
    pc: RTCPeerConnection,
    textRoomId: string,
  ) {
    this.#session = options.session;
    this.#logger = options.logger;
    this.#handleId = handleId;
    this.#pc = pc;
    this.#textRoomId = textRoomId;
    this.#participantId = options.participantId;
    this.#onMessage = options.onMessage;
  }

  static async open(options: MessageChannelOptions): Promise<MessageChannel> {
    const { session, platform, logger } = options;
    const handleId = await session.attach(JanusPlugin.TextRoom);
    const pc = platform.createPeerConnection();
    try {
      trickleCandidates(pc, session, handleId, logger);
      const setup = await session.message(handleId, { request: 'setup', room: options.roomId });
      if (setup.jsep === undefined) {
        throw VideoError.mediaServer(0, 'the TextRoom setup came without an offer');
      }
      const textRoomId = stringField(setup.data, 'janus_room_id') ?? options.roomId;
      await pc.setRemoteDescription(setup.jsep);
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      await session.message(handleId, { request: 'ack' }, answer);
      const channel = new MessageChannel(options, handleId, pc, textRoomId);
      await channel.#join(pc.createDataChannel(DATA_CHANNEL_LABEL));
      return channel;
    } catch (error) {
      closePeerConnection(pc);
      throw error;
    }
  }

  get peerConnection(): RTCPeerConnection {
    return this.#pc;
  }

  async #join(channel: RTCDataChannel): Promise<void> {
    this.#channel = channel;
    channel.addEventListener('message', (event: MessageEvent) => this.#onData(event.data));
    // Janus may also open channels of its own.
    this.#pc.addEventListener('datachannel', (event: RTCDataChannelEvent) => {
      event.channel.addEventListener('message', (message: MessageEvent) =>
        this.#onData(message.data),
      );
    });
    if (channel.readyState !== 'open') {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(VideoError.timedOut('the chat channel did not open')),
          REPLY_TIMEOUT_MS,
        );
        channel.addEventListener('open', () => {
          clearTimeout(timer);
          resolve();
        });
        channel.addEventListener('close', () => {
          clearTimeout(timer);
          reject(VideoError.connectionLost('the chat channel closed'));
        });
      });
    }
    await this.#request({
      textroom: 'join',
      room: this.#textRoomId,
      username: this.#participantId,
      display: this.#participantId,
    });
  }

  /** Sends a message to everyone, or only to `recipients`. Resolves once the server has it. */
  async send(message: Message, recipients?: readonly string[]): Promise<void> {
    const to = Array.isArray(recipients) ? recipients : [];
    await this.#request({
      textroom: 'message',
      room: this.#textRoomId,
      text: JSON.stringify({ message: { ...message }, recipients: to }),
      ...(to.length > 0 ? { tos: to } : {}),
    });
  }

  #request(body: Record<string, unknown>): Promise<void> {
    const channel = this.#channel;
    if (this.#closed || channel?.readyState !== 'open') {
      return Promise.reject(VideoError.invalidState('the chat channel is not open'));
    }
    const transaction = uuid();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(transaction);
        reject(VideoError.timedOut(`chat ${String(body.textroom)}: no answer`));
      }, REPLY_TIMEOUT_MS);
      this.#pending.set(transaction, { resolve, reject, timer });
      channel.send(JSON.stringify({ ...body, transaction }));
    });
  }

  #onData(data: unknown): void {
    if (typeof data !== 'string') {
      return;
    }
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(data) as Record<string, unknown>;
    } catch {
      return;
    }
    const transaction = typeof frame.transaction === 'string' ? frame.transaction : undefined;
    const pending = transaction === undefined ? undefined : this.#pending.get(transaction);
    if (pending !== undefined && transaction !== undefined) {
      clearTimeout(pending.timer);
      this.#pending.delete(transaction);
      if (frame.textroom === 'error') {
        pending.reject(
          VideoError.mediaServer(
            typeof frame.error_code === 'number' ? frame.error_code : 0,
            `chat: ${String(frame.error)}`,
          ),
        );
      } else {
        pending.resolve();
      }
      return;
    }
    if (frame.textroom === 'message' && typeof frame.text === 'string') {
      this.#onText(typeof frame.from === 'string' ? frame.from : '', frame.text);
    }
  }

  #onText(from: string, text: string): void {
    let body: { message?: unknown; recipients?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      this.#logger.warn('ignoring a chat message that is not JSON');
      return;
    }
    const message = receivedMessage(body.message);
    if (message === undefined) {
      this.#logger.warn('ignoring a chat message of unknown shape');
      return;
    }
    const recipients = Array.isArray(body.recipients)
      ? body.recipients.filter((id): id is string => typeof id === 'string')
      : null;
    this.#onMessage(from, message, recipients);
  }

  /** Closes the channel and its PeerConnection, and detaches the handle. Idempotent. */
  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(VideoError.connectionLost('the chat channel closed'));
    }
    this.#pending.clear();
    this.#channel?.close();
    closePeerConnection(this.#pc);
    this.#session
      .detach(this.#handleId)
      .catch((error: unknown) => this.#logger.debug('chat detach failed', error));
  }
}

/**
 * The message as the app gets it: chat text, or a phone caller's key (which Palaver's phone
 * bridge posts as `{type: 'dtmf', digit}`); only the known fields, so a sender cannot slip
 * others in.
 */
function receivedMessage(value: unknown): ReceivedMessage | undefined {
  if (typeof value !== 'object' || value === null) {
    return undefined;
  }
  const message = value as Record<string, unknown>;
  if (message.type === 'text' && typeof message.payload === 'string') {
    return {
      type: 'text',
      payload: message.payload,
      ...(typeof message.meta === 'string' ? { meta: message.meta } : {}),
    };
  }
  if (
    message.type === 'dtmf' &&
    typeof message.digit === 'string' &&
    DTMF_DIGIT.test(message.digit)
  ) {
    return { type: 'dtmf', digit: message.digit };
  }
  return undefined;
}
