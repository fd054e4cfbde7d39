import { NotFoundError, ValidationError } from '../errors.js';
import type { Store } from '../store/Store.js';
import type { RoomPresence } from './RoomPresence.js';
import { SessionEndedError } from './SessionEndedError.js';
import type { RoomParticipant, RoomSession } from './types.js';

/** Who an action applies to: `participants` ("all" or ids) minus `exclude`. */
export interface ParticipantSelection {
  participants: 'all' | readonly string[];
  exclude: readonly string[];
}

/** A moderator action on some participants of a session. */
export type ParticipantAction = 'kick' | 'mute' | 'unmute';

/**
 * Carries actions out on the participants' live connections (the room gateway does). Each
 * resolves false when the participant has no connection here.
 */
export interface LiveRoomControl {
  /** Removes the participant from the room's media and ends its connection. */
  kick(roomId: string, participantId: string): Promise<boolean>;
  /** Moderator mute of the participant's audio, which it cannot undo itself; or its lifting. */
  setAudioMuted(roomId: string, participantId: string, muted: boolean): Promise<boolean>;
  /** Ends every connection to the room: its session is over. */
  endRoom(roomId: string): Promise<void>;
}

export interface ActionOutcome {
  /** The participants present in the session that the action applied to. */
  participantIds: string[];
}

export interface SessionActionsOptions {
  /** Live connections; without one (no media engine) actions only change the records. */
  control?: LiveRoomControl | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SELECTION_FIELDS = ['participants', 'exclude'];

/**
 * The session actions of Telnyx's Video Rooms API: end a session, or kick, mute or unmute
 * some of its participants. Checks the request against the store (the session exists and is
 * going on, the ids are participants of it), has the live connections carry the action out,
 * and keeps the records right (kicked participants leave; an ended session ends).
 */
export class SessionActions {
  readonly #store: Store;
  readonly #presence: Pick<
    RoomPresence,
    'removeParticipants' | 'endStoredSession' | 'activeSession'
  >;
  readonly #control: LiveRoomControl | undefined;

  constructor(
    store: Store,
    presence: Pick<RoomPresence, 'removeParticipants' | 'endStoredSession' | 'activeSession'>,
    options: SessionActionsOptions = {},
  ) {
    this.#store = store;
    this.#presence = presence;
    this.#control = options.control;
  }

  /** Ends the session: everyone connected is disconnected, then the session ends. */
  async end(sessionId: string, body: unknown): Promise<ActionOutcome> {
    const session = await this.#session(sessionId);
    checkFields(body, []);
    assertActive(session);
    const present = await this.#present(session);
    // Only the room's live session has connections to end; another one the store still shows
    // open (left by a crashed run) is ended in the records alone.
    if (this.#presence.activeSession(session.roomId)?.id === session.id) {
      await this.#control?.endRoom(session.roomId);
    }
    await this.#presence.endStoredSession(session);
    return { participantIds: present.map((p) => p.id) };
  }

  /** Kicks, mutes or unmutes the selected participants who are in the session now. */
  async apply(action: ParticipantAction, sessionId: string, body: unknown): Promise<ActionOutcome> {
    const session = await this.#session(sessionId);
    const selection = parseParticipantSelection(body);
    assertActive(session);
    const participants = await this.#store.participants.listForSessions([session.id]);
    checkMembership(session, selection, participants);
    const excluded = new Set(selection.exclude.map((id) => id.toLowerCase()));
    const chosen =
      selection.participants === 'all'
        ? undefined
        : new Set(selection.participants.map((id) => id.toLowerCase()));
    const targets = participants
      .filter((p) => p.leftAt === null)
      .filter((p) => chosen === undefined || chosen.has(p.id))
      .filter((p) => !excluded.has(p.id))
      .map((p) => p.id);
    const control = this.#control;
    switch (action) {
      case 'kick':
        if (control !== undefined) {
          await Promise.all(targets.map((id) => control.kick(session.roomId, id)));
        }
        await this.#presence.removeParticipants(session, targets);
        break;
      case 'mute':
      case 'unmute':
        if (control !== undefined) {
          await Promise.all(
            targets.map((id) => control.setAudioMuted(session.roomId, id, action === 'mute')),
          );
        }
        break;
    }
    return { participantIds: targets };
  }

  async #session(sessionId: string): Promise<RoomSession> {
    const session = await this.#store.sessions.find(sessionId);
    if (session === undefined) {
      throw new NotFoundError('room session', sessionId);
    }
    return session;
  }

  async #present(session: RoomSession): Promise<RoomParticipant[]> {
    const participants = await this.#store.participants.listForSessions([session.id]);
    return participants.filter((p) => p.leftAt === null);
  }
}

/**
 * Reads `{"participants": "all" | [ids], "exclude": [ids]}`; `participants` defaults to "all"
 * (the official SDK may send no body at all) and `exclude` to nobody.
 */
export function parseParticipantSelection(body: unknown): ParticipantSelection {
  const record = checkFields(body, SELECTION_FIELDS);
  const participants = record.participants;
  let chosen: 'all' | string[];
  if (participants === undefined || participants === 'all') {
    chosen = 'all';
  } else if (Array.isArray(participants)) {
    if (participants.length === 0) {
      throw new ValidationError('participants must name at least one participant, or be "all"', {
        source: { pointer: '/participants' },
      });
    }
    chosen = participantIds(participants, 'participants');
  } else {
    throw new ValidationError(
      `participants must be "all" or a list of participant ids (got ${JSON.stringify(participants)})`,
      { source: { pointer: '/participants' } },
    );
  }
  const exclude = record.exclude;
  if (exclude !== undefined && !Array.isArray(exclude)) {
    throw new ValidationError(
      `exclude must be a list of participant ids (got ${JSON.stringify(exclude)})`,
      { source: { pointer: '/exclude' } },
    );
  }
  return { participants: chosen, exclude: participantIds(exclude ?? [], 'exclude') };
}

function checkFields(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError('request body must be a JSON object', { source: { pointer: '/' } });
  }
  const record = body as Record<string, unknown>;
  for (const field of Object.keys(record)) {
    if (!allowed.includes(field)) {
      throw new ValidationError(`${field} is not a known field`, {
        source: { pointer: `/${field}` },
      });
    }
  }
  return record;
}

function participantIds(values: readonly unknown[], field: string): string[] {
  return values.map((value, i) => {
    if (typeof value !== 'string' || !UUID.test(value)) {
      throw new ValidationError(
        `${field}/${i} must be a participant id (got ${JSON.stringify(value)})`,
        { source: { pointer: `/${field}/${i}` } },
      );
    }
    return value;
  });
}

function assertActive(session: RoomSession): void {
  if (!session.active) {
    throw new SessionEndedError(session.id);
  }
}

/** Every id named must be a participant of this session (present or gone). */
function checkMembership(
  session: RoomSession,
  selection: ParticipantSelection,
  participants: readonly RoomParticipant[],
): void {
  const known = new Set(participants.map((p) => p.id));
  const check = (ids: readonly string[], field: string): void => {
    ids.forEach((id, i) => {
      if (!known.has(id.toLowerCase())) {
        throw new ValidationError(
          `${field}/${i} is not a participant of room session ${session.id} (got "${id}")`,
          { source: { pointer: `/${field}/${i}` } },
        );
      }
    });
  };
  if (selection.participants !== 'all') {
    check(selection.participants, 'participants');
  }
  check(selection.exclude, 'exclude');
}
