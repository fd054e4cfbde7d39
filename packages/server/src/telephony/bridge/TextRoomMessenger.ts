import type { Logger } from 'pino';
import type { JanusClient } from '../../janus/JanusClient.js';
import type { RoomMessenger } from './PhoneBridge.js';
import { TextRoomSender } from './TextRoomSender.js';

export interface TextRoomMessengerOptions {
  logger: Logger;
  janus: () => Promise<JanusClient>;
  /** The room's TextRoom id in Janus (a secret per room, from the room engine). */
  textRoomId: (roomId: string) => string;
}

/**
 * Room chat from the server, as the SDKs receive it: each sending participant (a phone caller
 * pressing keys) gets its own TextRoom member, opened on its first message and closed when it
 * leaves, so digits cost nothing until someone presses one.
 */
export class TextRoomMessenger implements RoomMessenger {
  readonly #options: TextRoomMessengerOptions;
  readonly #senders = new Map<string, Promise<TextRoomSender>>();
  #client: Promise<JanusClient> | undefined;
  #closed = false;

  constructor(options: TextRoomMessengerOptions) {
    this.#options = options;
  }

  async send(
    roomId: string,
    fromParticipantId: string,
    message: Record<string, unknown>,
  ): Promise<void> {
    const sender = await this.#sender(roomId, fromParticipantId);
    // The SDK's chat envelope: the message and its recipients (null: everyone).
    await sender.send(JSON.stringify({ message, recipients: null }));
  }

  /** The participant left: its TextRoom member goes. */
  forget(roomId: string, participantId: string): void {
    const key = `${roomId}/${participantId}`;
    const sender = this.#senders.get(key);
    this.#senders.delete(key);
    void sender?.then((s) => s.close()).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const senders = [...this.#senders.values()];
    this.#senders.clear();
    await Promise.allSettled(senders.map(async (s) => (await s).close()));
    const client = this.#client;
    this.#client = undefined;
    await client?.then((c) => c.close()).catch(() => undefined);
  }

  /** One Janus connection for all senders, made again after Janus went away. */
  #janus(): Promise<JanusClient> {
    const current = this.#client;
    if (current !== undefined) {
      return current.then((c) => {
        if (!c.closed) {
          return c;
        }
        if (this.#client === current) {
          this.#client = undefined;
        }
        return this.#janus();
      });
    }
    const client = this.#options.janus();
    this.#client = client;
    client.catch(() => {
      if (this.#client === client) {
        this.#client = undefined;
      }
    });
    return client;
  }

  #sender(roomId: string, participantId: string): Promise<TextRoomSender> {
    const key = `${roomId}/${participantId}`;
    let sender = this.#senders.get(key);
    if (sender === undefined) {
      if (this.#closed) {
        return Promise.reject(new Error('the messenger is closed'));
      }
      const opening = this.#janus().then((client) =>
        TextRoomSender.open(
          client,
          this.#options.textRoomId(roomId),
          participantId,
          this.#options.logger,
        ),
      );
      sender = opening;
      this.#senders.set(key, opening);
      opening.then(
        (s) => {
          if (this.#senders.get(key) !== opening) {
            s.close();
          }
        },
        () => {
          // A failed open is tried again with the next message.
          if (this.#senders.get(key) === opening) {
            this.#senders.delete(key);
          }
        },
      );
    }
    return sender.then((s) => {
      if (s.closed) {
        this.#senders.delete(key);
        return this.#sender(roomId, participantId);
      }
      return s;
    });
  }
}
