import { randomUUID } from 'node:crypto';
import { InvalidStateError } from '../errors.js';
import { SafeEventEmitter } from '../SafeEventEmitter.js';
import type { Store } from '../store/Store.js';
import type { RoomParticipant, RoomSession } from './types.js';

export interface SessionEvent {
  roomId: string;
  session: RoomSession;
}

export interface ParticipantEvent {
  roomId: string;
  session: RoomSession;
  participant: RoomParticipant;
}

/**
 * What happens in rooms, in order per room: a session starts before its first participant
 * joins, and ends after its last participant left. Emitted once the store has the change.
 */
export interface RoomPresenceEvents {
  sessionStarted: [SessionEvent];
  sessionEnded: [SessionEvent];
  participantJoined: [ParticipantEvent];
  participantLeft: [ParticipantEvent];
}

export interface JoinRequest {
  roomId: string;
  /**
   * The id the client chose (the SDK's participantId). It becomes the participant's id when it
   * is a UUID not used before, so the REST API and the SDK name a participant alike.
   */
  preferredId?: string | undefined;
  /** The app-defined string the client gave (the SDK's `context`). */
  context: string | null;
}

export interface RoomPresenceOptions {
  /**
   * How long a session stays open after its last participant left, so that a quick rejoin
   * (a page reload, a network blip) continues the same session. Default: 10 s.
   */
  sessionGraceMs?: number;
  now?: () => number;
  onListenerError?: (error: unknown, event: string) => void;
  /** Reports a store write that failed; the presence carries on. */
  onError?: (error: unknown, context: Record<string, unknown>) => void;
}

export interface RecoveryResult {
  sessionsEnded: number;
  participantsLeft: number;
}

interface LiveRoom {
  session: RoomSession;
  participants: Map<string, RoomParticipant>;
  endTimer: NodeJS.Timeout | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Live room sessions and participants. Whoever sees people arrive and go (the room gateway)
 * calls `join` and `leave`; this class keeps the store's `room_sessions` and
 * `room_participants` rows right and emits events. Work on one room is serialised, so two
 * participants joining at once share one session.
 */
export class RoomPresence extends SafeEventEmitter<RoomPresenceEvents> {
  readonly #store: Store;
  readonly #graceMs: number;
  readonly #now: () => number;
  readonly #onError: (error: unknown, context: Record<string, unknown>) => void;
  readonly #rooms = new Map<string, LiveRoom>();
  /** Participant id → room id, for `leave`. */
  readonly #participantRooms = new Map<string, string>();
  readonly #queues = new Map<string, Promise<unknown>>();
  #closing: Promise<void> | undefined;

  constructor(store: Store, options: RoomPresenceOptions = {}) {
    super(options.onListenerError);
    this.#store = store;
    this.#graceMs = options.sessionGraceMs ?? 10_000;
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? (() => undefined);
  }

  /**
   * Ends every session and participant the store still shows as open: after a restart nobody
   * is connected, whatever the store says. Call once at start, before clients connect.
   */
  async recover(): Promise<RecoveryResult> {
    const result: RecoveryResult = { sessionsEnded: 0, participantsLeft: 0 };
    for (;;) {
      const page = await this.#store.sessions.list({ active: true }, { number: 1, size: 100 });
      if (page.items.length === 0) {
        return result;
      }
      const participants = await this.#store.participants.listForSessions(
        page.items.map((s) => s.id),
      );
      for (const session of page.items) {
        result.participantsLeft += await this.#endStored(
          session,
          participants.filter((p) => p.sessionId === session.id),
        );
        result.sessionsEnded += 1;
      }
    }
  }

  /** Records a participant joining; starts the room's session if none is open. */
  join(request: JoinRequest): Promise<RoomParticipant> {
    this.#assertOpen();
    return this.#serial(request.roomId, async () => {
      const room = await this.#liveRoom(request.roomId);
      if (room.endTimer !== undefined) {
        clearTimeout(room.endTimer);
        room.endTimer = undefined;
      }
      const at = this.#iso();
      const participant = await this.#insertParticipant(room.session.id, request, at);
      room.participants.set(participant.id, participant);
      this.#participantRooms.set(participant.id, request.roomId);
      this.safeEmit('participantJoined', {
        roomId: request.roomId,
        session: room.session,
        participant,
      });
      return participant;
    });
  }

  /** Records a participant leaving; the session ends after the grace if it was the last. */
  leave(participantId: string): Promise<void> {
    const roomId = this.#participantRooms.get(participantId);
    if (roomId === undefined) {
      return Promise.resolve();
    }
    return this.#serial(roomId, async () => {
      await this.#leaveNow(roomId, participantId);
      this.#endWhenEmpty(roomId);
    });
  }

  /**
   * Records participants of a session leaving now (a moderator removed them): those this
   * process saw join, and those only the store still shows in the session. Ids that are not
   * in the session or already left are skipped. The session ends after the grace if it empties.
   */
  removeParticipants(session: RoomSession, participantIds: readonly string[]): Promise<void> {
    return this.#serial(session.roomId, async () => {
      const room = this.#rooms.get(session.roomId);
      for (const participantId of participantIds) {
        if (room?.session.id === session.id && room.participants.has(participantId)) {
          await this.#leaveNow(session.roomId, participantId);
          continue;
        }
        const stored = await this.#store.participants.find(participantId);
        if (stored?.sessionId === session.id && stored.leftAt === null) {
          await this.#leaveStored(session, stored, this.#iso());
        }
      }
      if (room?.session.id === session.id) {
        this.#endWhenEmpty(session.roomId);
      }
    });
  }

  /**
   * Ends a session now: its participants leave, then it ends. Works for the session this
   * process runs and for one that only the store still shows open; an ended one stays as is.
   */
  endStoredSession(session: RoomSession): Promise<void> {
    return this.#serial(session.roomId, async () => {
      const room = this.#rooms.get(session.roomId);
      if (room?.session.id === session.id) {
        for (const participantId of [...room.participants.keys()]) {
          await this.#leaveNow(session.roomId, participantId);
        }
        await this.#endSessionNow(session.roomId);
        return;
      }
      const stored = await this.#store.sessions.find(session.id);
      if (stored?.active === true) {
        await this.#endStored(stored, await this.#store.participants.listForSessions([stored.id]));
      }
    });
  }

  /** Ends the room's session now: its participants leave, then the session ends. */
  endSession(roomId: string): Promise<void> {
    return this.#serial(roomId, async () => {
      const room = this.#rooms.get(roomId);
      if (room === undefined) {
        return;
      }
      for (const participantId of [...room.participants.keys()]) {
        await this.#leaveNow(roomId, participantId);
      }
      await this.#endSessionNow(roomId);
    });
  }

  /** The open session of a room, if any. */
  activeSession(roomId: string): RoomSession | undefined {
    return this.#rooms.get(roomId)?.session;
  }

  /** The participants in a room now. */
  participants(roomId: string): RoomParticipant[] {
    return [...(this.#rooms.get(roomId)?.participants.values() ?? [])];
  }

  /** Ends every open session and participant (the server is stopping). Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#rooms.keys()].map((roomId) => this.endSession(roomId)));
    })();
    return this.#closing;
  }

  // -------------------------------------------------------------------------------------------

  async #liveRoom(roomId: string): Promise<LiveRoom> {
    const existing = this.#rooms.get(roomId);
    if (existing !== undefined) {
      return existing;
    }
    const at = this.#iso();
    const session: RoomSession = {
      id: randomUUID(),
      roomId,
      active: true,
      createdAt: at,
      updatedAt: at,
      endedAt: null,
    };
    await this.#store.sessions.insert({
      id: session.id,
      room_id: roomId,
      active: 1,
      created_at: at,
      updated_at: at,
      ended_at: null,
    });
    const room: LiveRoom = { session, participants: new Map(), endTimer: undefined };
    this.#rooms.set(roomId, room);
    this.safeEmit('sessionStarted', { roomId, session });
    return room;
  }

  async #insertParticipant(
    sessionId: string,
    request: JoinRequest,
    at: string,
  ): Promise<RoomParticipant> {
    const preferred =
      request.preferredId !== undefined && UUID.test(request.preferredId)
        ? request.preferredId.toLowerCase()
        : undefined;
    // An id an earlier participant had (a replayed display) gets a fresh one instead.
    const id =
      preferred !== undefined && (await this.#store.participants.find(preferred)) === undefined
        ? preferred
        : randomUUID();
    await this.#store.participants.insert({
      id,
      session_id: sessionId,
      context: request.context,
      joined_at: at,
      updated_at: at,
      left_at: null,
    });
    return { id, sessionId, context: request.context, joinedAt: at, updatedAt: at, leftAt: null };
  }

  async #leaveNow(roomId: string, participantId: string): Promise<void> {
    const room = this.#rooms.get(roomId);
    const participant = room?.participants.get(participantId);
    if (room === undefined || participant === undefined) {
      return;
    }
    room.participants.delete(participantId);
    this.#participantRooms.delete(participantId);
    const at = this.#iso();
    await this.#store.participants.update(participantId, { left_at: at, updated_at: at });
    this.safeEmit('participantLeft', {
      roomId,
      session: room.session,
      participant: { ...participant, leftAt: at, updatedAt: at },
    });
  }

  /** Ends the room's session after the grace once nobody is left (a quick rejoin continues it). */
  #endWhenEmpty(roomId: string): void {
    const room = this.#rooms.get(roomId);
    if (room !== undefined && room.participants.size === 0 && this.#closing === undefined) {
      room.endTimer ??= setTimeout(() => {
        void this.#serial(roomId, () => this.#endIfEmpty(roomId)).catch((error: unknown) =>
          this.#onError(error, { roomId, action: 'end session' }),
        );
      }, this.#graceMs);
    }
  }

  /** Ends a session that only the store shows open; returns how many participants left. */
  async #endStored(session: RoomSession, participants: RoomParticipant[]): Promise<number> {
    const at = this.#iso();
    let left = 0;
    for (const participant of participants) {
      if (participant.sessionId === session.id && participant.leftAt === null) {
        await this.#leaveStored(session, participant, at);
        left += 1;
      }
    }
    await this.#store.sessions.update(session.id, { active: 0, ended_at: at, updated_at: at });
    this.safeEmit('sessionEnded', {
      roomId: session.roomId,
      session: { ...session, active: false, endedAt: at, updatedAt: at },
    });
    return left;
  }

  async #leaveStored(
    session: RoomSession,
    participant: RoomParticipant,
    at: string,
  ): Promise<void> {
    await this.#store.participants.update(participant.id, { left_at: at, updated_at: at });
    this.safeEmit('participantLeft', {
      roomId: session.roomId,
      session,
      participant: { ...participant, leftAt: at, updatedAt: at },
    });
  }

  async #endIfEmpty(roomId: string): Promise<void> {
    const room = this.#rooms.get(roomId);
    if (room !== undefined && room.participants.size === 0) {
      await this.#endSessionNow(roomId);
    }
  }

  async #endSessionNow(roomId: string): Promise<void> {
    const room = this.#rooms.get(roomId);
    if (room === undefined) {
      return;
    }
    if (room.endTimer !== undefined) {
      clearTimeout(room.endTimer);
    }
    this.#rooms.delete(roomId);
    const at = this.#iso();
    await this.#store.sessions.update(room.session.id, {
      active: 0,
      ended_at: at,
      updated_at: at,
    });
    this.safeEmit('sessionEnded', {
      roomId,
      session: { ...room.session, active: false, endedAt: at, updatedAt: at },
    });
  }

  /** Runs work for one room after the work queued before it, failed or not. */
  #serial<T>(roomId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(roomId) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(work);
    this.#queues.set(roomId, run);
    const cleanup = (): void => {
      if (this.#queues.get(roomId) === run) {
        this.#queues.delete(roomId);
      }
    };
    run.then(cleanup, cleanup);
    return run;
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) {
      throw new InvalidStateError('RoomPresence is closed');
    }
  }

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }
}
