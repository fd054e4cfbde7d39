import type { Logger } from 'pino';
import type { ParticipantEvent, RoomPresence, SessionEvent } from '../rooms/RoomPresence.js';
import type { WebhookDispatcher } from './WebhookDispatcher.js';
import type { WebhookPayloads } from './events.js';

/**
 * Turns what happens in rooms into room webhooks: session started/ended and participant
 * joined/left. Presence emits in order per room once the store has the change, and the
 * dispatcher keeps that order per room.
 */
export class PresenceWebhooks {
  readonly #presence: RoomPresence;
  readonly #webhooks: WebhookDispatcher;
  readonly #logger: Logger;
  readonly #listeners: {
    sessionStarted: (event: SessionEvent) => void;
    sessionEnded: (event: SessionEvent) => void;
    participantJoined: (event: ParticipantEvent) => void;
    participantLeft: (event: ParticipantEvent) => void;
  };
  // Each enqueue waits for the previous one, so events reach the outbox in the order they
  // happened even though storing is asynchronous.
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(presence: RoomPresence, webhooks: WebhookDispatcher, logger: Logger) {
    this.#presence = presence;
    this.#webhooks = webhooks;
    this.#logger = logger;
    this.#listeners = {
      sessionStarted: ({ roomId, session }) =>
        this.#enqueue('video.room.session.started', {
          room_id: roomId,
          session_id: session.id,
          started_at: session.createdAt,
        }),
      sessionEnded: ({ roomId, session }) =>
        this.#enqueue('video.room.session.ended', {
          room_id: roomId,
          session_id: session.id,
          started_at: session.createdAt,
          ended_at: session.endedAt ?? session.updatedAt,
        }),
      participantJoined: ({ roomId, session, participant }) =>
        this.#enqueue('video.room.participant.joined', {
          room_id: roomId,
          session_id: session.id,
          participant_id: participant.id,
          context: participant.context,
          joined_at: participant.joinedAt,
        }),
      participantLeft: ({ roomId, session, participant }) =>
        this.#enqueue('video.room.participant.left', {
          room_id: roomId,
          session_id: session.id,
          participant_id: participant.id,
          context: participant.context,
          joined_at: participant.joinedAt,
          left_at: participant.leftAt ?? participant.updatedAt,
        }),
    };
    presence.on('sessionStarted', this.#listeners.sessionStarted);
    presence.on('sessionEnded', this.#listeners.sessionEnded);
    presence.on('participantJoined', this.#listeners.participantJoined);
    presence.on('participantLeft', this.#listeners.participantLeft);
  }

  /** Stops listening and waits until the events already seen are in the outbox. Idempotent. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#presence.off('sessionStarted', this.#listeners.sessionStarted);
      this.#presence.off('sessionEnded', this.#listeners.sessionEnded);
      this.#presence.off('participantJoined', this.#listeners.participantJoined);
      this.#presence.off('participantLeft', this.#listeners.participantLeft);
    }
    await this.#queue;
  }

  #enqueue<T extends PresenceEventType>(type: T, payload: WebhookPayloads[T]): void {
    this.#queue = this.#queue.then(async () => {
      try {
        await this.#webhooks.enqueue(type, payload, { occurredAt: occurredAt(payload) });
      } catch (error) {
        this.#logger.error(
          { err: error, type, roomId: payload.room_id },
          'room webhook not stored',
        );
      }
    });
  }
}

type PresenceEventType =
  | 'video.room.session.started'
  | 'video.room.session.ended'
  | 'video.room.participant.joined'
  | 'video.room.participant.left';

function occurredAt(payload: WebhookPayloads[PresenceEventType]): string {
  if ('left_at' in payload) {
    return payload.left_at;
  }
  if ('ended_at' in payload) {
    return payload.ended_at;
  }
  if ('joined_at' in payload) {
    return payload.joined_at;
  }
  return payload.started_at;
}
