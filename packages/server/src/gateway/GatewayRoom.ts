import { GatewayRefusal } from './GatewayRefusal.js';

/** A connection as the room sees it. */
export interface RoomMember {
  readonly participantId: string | undefined;
}

/**
 * The gateway's view of one Palaver room while anyone is connected to it: its connections,
 * which participant ids they hold (one connection per id), the ids a moderator removed, and
 * whether its Janus rooms are ready. It lives as long as the room's session (it goes after the
 * same grace once the last connection left, and forgets removals when the session is ended).
 */
export class GatewayRoom<C extends RoomMember = RoomMember> {
  readonly roomId: string;
  readonly connections = new Set<C>();
  readonly #participants = new Map<string, C>();
  /** Participant ids a moderator removed during this session. */
  readonly #removed = new Set<string>();
  #maxParticipants: number;
  /** Participants of the room that are not connections here (phone calls' seats). */
  readonly #others: () => number;
  #ready: Promise<void> | undefined;
  #deleted = false;
  teardownTimer: NodeJS.Timeout | undefined;
  /** Holders that are not connections (phone calls); the Janus rooms stay while any hold. */
  holds = 0;

  constructor(roomId: string, maxParticipants: number, others: () => number = () => 0) {
    this.roomId = roomId;
    this.#maxParticipants = maxParticipants;
    this.#others = others;
  }

  get maxParticipants(): number {
    return this.#maxParticipants;
  }

  /** The room's `max_participants` as last read from the store. */
  set maxParticipants(value: number) {
    this.#maxParticipants = value;
  }

  get deleted(): boolean {
    return this.#deleted;
  }

  markDeleted(): void {
    this.#deleted = true;
  }

  /** The participant ids connected now. */
  get participantIds(): string[] {
    return [...this.#participants.keys()];
  }

  participant(participantId: string): C | undefined {
    return this.#participants.get(participantId);
  }

  /**
   * Reserves a participant id for a connection. When another live connection holds it, the id
   * moves to the new one and the old holder is returned for the caller to replace: a client
   * whose network died silently comes back before its old connection is noticed dead. Refused
   * for an id a moderator removed in this session, and when a new id would exceed
   * `max_participants` (phone callers included).
   */
  claim(participantId: string, connection: C): C | undefined {
    if (this.#removed.has(participantId)) {
      throw GatewayRefusal.forbidden(
        `participant ${participantId} was removed from the room by a moderator`,
      );
    }
    const holder = this.#participants.get(participantId);
    if (holder === connection) {
      return undefined;
    }
    if (holder === undefined && this.#participants.size + this.#others() >= this.#maxParticipants) {
      throw GatewayRefusal.forbidden(
        `room is full: it allows ${this.#maxParticipants} participant${this.#maxParticipants === 1 ? '' : 's'} (max_participants)`,
      );
    }
    this.#participants.set(participantId, connection);
    return holder;
  }

  /** A moderator removed this participant: its id may not join again during this session. */
  markRemoved(participantId: string): void {
    this.#removed.add(participantId);
  }

  /** The session ended: removed participants may join the next one. */
  forgetRemoved(): void {
    this.#removed.clear();
  }

  release(participantId: string, connection: C): void {
    if (this.#participants.get(participantId) === connection) {
      this.#participants.delete(participantId);
    }
  }

  /** Runs `prepare` once (creating the Janus rooms); later callers wait for the same result. */
  ready(prepare: () => Promise<void>): Promise<void> {
    if (this.#ready === undefined) {
      const ready = prepare();
      this.#ready = ready;
      // A failure is not remembered: the next connection tries again.
      ready.catch(() => {
        if (this.#ready === ready) {
          this.#ready = undefined;
        }
      });
    }
    return this.#ready;
  }

  /** Forget readiness (Janus restarted; its rooms must be ensured again). */
  resetReady(): void {
    this.#ready = undefined;
  }
}
