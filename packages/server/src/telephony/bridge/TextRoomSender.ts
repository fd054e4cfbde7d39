import { randomUUID } from 'node:crypto';
import nodeDataChannel from 'node-datachannel';
import type { Logger } from 'pino';
import { ErrorCode, PalaverError } from '../../errors.js';
import type { JanusClient } from '../../janus/JanusClient.js';
import type { JanusHandle } from '../../janus/JanusHandle.js';
import type { JanusSession } from '../../janus/JanusSession.js';

type PeerConnection = InstanceType<typeof nodeDataChannel.PeerConnection>;
type DataChannel = ReturnType<PeerConnection['createDataChannel']>;

/** A TextRoom data channel could not be opened or used. */
export class TextRoomError extends PalaverError {
  constructor(message: string) {
    super(ErrorCode.Internal, message);
  }
}

const OPEN_TIMEOUT_MS = 10_000;

/**
 * One server-side member of a room's TextRoom. TextRoom `join` and `message` only work over a
 * WebRTC data channel (not the Janus API), and the SDKs only report chat that arrives that way
 * (`message_received`), so the server opens a data channel to Janus like a browser does, joins
 * under the participant's id and posts as that participant.
 */
export class TextRoomSender {
  readonly #session: JanusSession;
  readonly #pc: PeerConnection;
  readonly #channel: DataChannel;
  readonly #room: string;
  readonly #pending = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  readonly #onChat: ((frame: Record<string, unknown>) => void) | undefined;
  #closed = false;

  private constructor(
    session: JanusSession,
    pc: PeerConnection,
    channel: DataChannel,
    room: string,
    onChat: ((frame: Record<string, unknown>) => void) | undefined,
  ) {
    this.#onChat = onChat;
    this.#session = session;
    this.#pc = pc;
    this.#channel = channel;
    this.#room = room;
    channel.onMessage((message) => this.#onMessage(message));
    channel.onClosed(() => this.close());
  }

  /**
   * Opens the data channel to the TextRoom `room` and joins it as `username`; `onChat` sees what
   * the room says.
   */
  static async open(
    client: JanusClient,
    room: string,
    username: string,
    logger: Logger,
    onChat?: (frame: Record<string, unknown>) => void,
  ): Promise<TextRoomSender> {
    const session = await client.createSession();
    let pc: PeerConnection | undefined;
    try {
      const handle = await session.attach('janus.plugin.textroom', {
        opaqueId: `palaver-chat-${username}`,
      });
      const offer = await handle.message({ request: 'setup' });
      if (offer.jsep?.type !== 'offer') {
        throw new TextRoomError('the TextRoom setup answered without an offer');
      }
      pc = new nodeDataChannel.PeerConnection('palaver-textroom', { iceServers: [] });
      const connection = pc;
      const answer = new Promise<string>((resolve) =>
        connection.onLocalDescription((sdp) => resolve(sdp)),
      );
      connection.onLocalCandidate((candidate, mid) => trickle(handle, candidate, mid, logger));
      connection.onGatheringStateChange((state) => {
        if (state === 'complete') {
          handle.trickle(null).catch(() => undefined);
        }
      });
      connection.setRemoteDescription(offer.jsep.sdp, 'offer');
      const channel = connection.createDataChannel('JanusDataChannel');
      const opened = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new TextRoomError('the TextRoom data channel did not open in time')),
          OPEN_TIMEOUT_MS,
        );
        channel.onOpen(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      await handle.message({ request: 'ack' }, { jsep: { type: 'answer', sdp: await answer } });
      await opened;
      const sender = new TextRoomSender(session, connection, channel, room, onChat);
      await sender.#request({ textroom: 'join', room, username, display: username });
      return sender;
    } catch (error) {
      pc?.close();
      session.close();
      throw error;
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Posts `text` to everyone in the room (the SDKs read it as JSON). */
  async send(text: string): Promise<void> {
    await this.#request({ textroom: 'message', room: this.#room, text });
  }

  /** Leaves: the data channel, the PeerConnection and the Janus session go. Idempotent. */
  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    for (const waiter of this.#pending.values()) {
      waiter.reject(new TextRoomError('the TextRoom data channel closed'));
    }
    this.#pending.clear();
    try {
      this.#channel.close();
      this.#pc.close();
    } catch {
      // Already gone.
    }
    this.#session.close();
  }

  #request(body: Record<string, unknown>): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new TextRoomError('the TextRoom data channel is closed'));
    }
    const transaction = randomUUID();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(transaction);
        reject(new TextRoomError(`TextRoom ${String(body.textroom)} was not answered`));
      }, OPEN_TIMEOUT_MS);
      this.#pending.set(transaction, {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.#channel.sendMessage(JSON.stringify({ ...body, transaction }));
    });
  }

  #onMessage(message: string | Buffer | ArrayBuffer): void {
    if (typeof message !== 'string') {
      return;
    }
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(message) as Record<string, unknown>;
    } catch {
      return;
    }
    const transaction = typeof frame.transaction === 'string' ? frame.transaction : undefined;
    const waiter = transaction === undefined ? undefined : this.#pending.get(transaction);
    if (waiter === undefined || transaction === undefined) {
      // Not an answer: what the room says (messages, joins, leaves).
      this.#onChat?.(frame);
      return;
    }
    this.#pending.delete(transaction);
    if (frame.textroom === 'success') {
      waiter.resolve();
    } else {
      waiter.reject(
        new TextRoomError(
          `TextRoom refused: ${typeof frame.error === 'string' ? frame.error : 'unknown error'}`,
        ),
      );
    }
  }
}

function trickle(handle: JanusHandle, candidate: string, mid: string, logger: Logger): void {
  handle
    .trickle({ candidate: candidate.replace(/^a=/, ''), sdpMid: mid, sdpMLineIndex: 0 })
    .catch((error: unknown) => logger.debug({ err: error }, 'textroom trickle failed'));
}
