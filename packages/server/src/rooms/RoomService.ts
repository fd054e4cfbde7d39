import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '../errors.js';
import { SafeEventEmitter } from '../SafeEventEmitter.js';
import type { Page, PageRequest } from '../store/listQuery.js';
import { isUniqueViolation } from '../store/Store.js';
import type { Store } from '../store/Store.js';
import type { ClientTokenIssuer } from '../tokens/ClientTokenIssuer.js';
import type { TokenVerifier } from '../tokens/TokenVerifier.js';
import type {
  Room,
  RoomFilter,
  RoomParticipant,
  RoomParticipantFilter,
  RoomSession,
  RoomSessionFilter,
  RoomSettings,
} from './types.js';

/** A room with its sessions, when asked for. */
export interface RoomView {
  room: Room;
  sessions?: RoomSessionView[];
}

/** A session with its participants, when asked for. */
export interface RoomSessionView {
  session: RoomSession;
  participants?: RoomParticipant[];
}

export interface JoinTokens {
  token: string;
  tokenExpiresAt: string;
  refreshToken: string;
  refreshTokenExpiresAt: string;
}

export interface RefreshedToken {
  token: string;
  tokenExpiresAt: string;
}

export interface RoomServiceEvents {
  /** A room was deleted: its participants must be removed and its tokens stop working. */
  roomDeleted: [roomId: string];
}

/** Defaults from Telnyx's Video Rooms API. */
export const ROOM_DEFAULTS = {
  maxParticipants: 10,
  tokenTtlSecs: 600,
  refreshTokenTtlSecs: 3600,
} as const;

export interface RoomServiceOptions {
  now?: () => number;
  onListenerError?: (error: unknown, event: string) => void;
}

/** Rooms, their sessions and participants, and the tokens that let clients join them. */
export class RoomService extends SafeEventEmitter<RoomServiceEvents> {
  readonly #store: Store;
  readonly #issuer: ClientTokenIssuer;
  readonly #verifier: TokenVerifier;
  readonly #now: () => number;

  constructor(
    store: Store,
    issuer: ClientTokenIssuer,
    verifier: TokenVerifier,
    options: RoomServiceOptions = {},
  ) {
    super(options.onListenerError);
    this.#store = store;
    this.#issuer = issuer;
    this.#verifier = verifier;
    this.#now = options.now ?? Date.now;
  }

  async createRoom(settings: RoomSettings): Promise<RoomView> {
    const now = this.#iso();
    const id = randomUUID();
    try {
      await this.#store.rooms.insert({
        id,
        unique_name: settings.uniqueName ?? null,
        max_participants: settings.maxParticipants ?? ROOM_DEFAULTS.maxParticipants,
        enable_recording: settings.enableRecording === true ? 1 : 0,
        webhook_event_url: settings.webhookEventUrl ?? null,
        webhook_event_failover_url: settings.webhookEventFailoverUrl ?? '',
        webhook_timeout_secs: settings.webhookTimeoutSecs ?? null,
        created_at: now,
        updated_at: now,
        deleted_at: null,
      });
    } catch (error) {
      throw this.#uniqueNameConflict(error, settings.uniqueName);
    }
    return { room: await this.#room(id), sessions: [] };
  }

  async listRooms(
    filter: RoomFilter,
    page: PageRequest,
    includeSessions: boolean,
  ): Promise<Page<RoomView>> {
    const rooms = await this.#store.rooms.list(filter, page);
    if (!includeSessions) {
      return { ...rooms, items: rooms.items.map((room) => ({ room })) };
    }
    const sessions = await this.#store.sessions.listForRooms(rooms.items.map((r) => r.id));
    return {
      ...rooms,
      items: rooms.items.map((room) => ({
        room,
        sessions: sessions.filter((s) => s.roomId === room.id).map((session) => ({ session })),
      })),
    };
  }

  async getRoom(id: string, includeSessions: boolean): Promise<RoomView> {
    const room = await this.#room(id);
    if (!includeSessions) {
      return { room };
    }
    const sessions = await this.#store.sessions.listForRooms([id]);
    return { room, sessions: sessions.map((session) => ({ session })) };
  }

  async updateRoom(id: string, settings: RoomSettings): Promise<RoomView> {
    const changes = {
      ...(settings.uniqueName !== undefined && { unique_name: settings.uniqueName }),
      ...(settings.maxParticipants !== undefined && {
        max_participants: settings.maxParticipants,
      }),
      ...(settings.enableRecording !== undefined && {
        enable_recording: settings.enableRecording ? 1 : 0,
      }),
      ...(settings.webhookEventUrl !== undefined && {
        webhook_event_url: settings.webhookEventUrl,
      }),
      ...(settings.webhookEventFailoverUrl !== undefined && {
        webhook_event_failover_url: settings.webhookEventFailoverUrl ?? '',
      }),
      ...(settings.webhookTimeoutSecs !== undefined && {
        webhook_timeout_secs: settings.webhookTimeoutSecs,
      }),
    };
    let updated: boolean;
    try {
      updated = await this.#store.rooms.update(id, { ...changes, updated_at: this.#iso() });
    } catch (error) {
      throw this.#uniqueNameConflict(error, settings.uniqueName);
    }
    if (!updated) {
      throw new NotFoundError('room', id);
    }
    return { room: await this.#room(id) };
  }

  async deleteRoom(id: string): Promise<void> {
    if (!(await this.#store.rooms.markDeleted(id, this.#iso()))) {
      throw new NotFoundError('room', id);
    }
    this.safeEmit('roomDeleted', id);
  }

  /** Mints a join token and its refresh token for a live room. */
  async generateJoinTokens(
    roomId: string,
    subjectId: string,
    ttl: { tokenTtlSecs?: number | undefined; refreshTokenTtlSecs?: number | undefined },
  ): Promise<JoinTokens> {
    await this.#room(roomId);
    const [access, refresh] = [
      this.#issuer.sign(
        'access',
        roomId,
        subjectId,
        ttl.tokenTtlSecs ?? ROOM_DEFAULTS.tokenTtlSecs,
      ),
      this.#issuer.sign(
        'refresh',
        roomId,
        subjectId,
        ttl.refreshTokenTtlSecs ?? ROOM_DEFAULTS.refreshTokenTtlSecs,
      ),
    ];
    return {
      token: access.token,
      tokenExpiresAt: access.expiresAt,
      refreshToken: refresh.token,
      refreshTokenExpiresAt: refresh.expiresAt,
    };
  }

  /** Exchanges a refresh token for a new join token with the same grant. */
  async refreshJoinToken(
    roomId: string,
    refreshToken: string,
    tokenTtlSecs: number | undefined,
  ): Promise<RefreshedToken> {
    const grant = await this.#verifier.verify(refreshToken, { type: 'refresh', roomId });
    // A deleted room's tokens are worth nothing.
    await this.#room(roomId);
    const subjectId = grant.subject.slice(grant.subject.lastIndexOf(':') + 1);
    const access = this.#issuer.sign(
      'access',
      roomId,
      subjectId,
      tokenTtlSecs ?? ROOM_DEFAULTS.tokenTtlSecs,
    );
    return { token: access.token, tokenExpiresAt: access.expiresAt };
  }

  async listSessions(
    filter: RoomSessionFilter,
    page: PageRequest,
    includeParticipants: boolean,
  ): Promise<Page<RoomSessionView>> {
    const sessions = await this.#store.sessions.list(filter, page);
    return {
      ...sessions,
      items: await this.#withParticipants(sessions.items, includeParticipants),
    };
  }

  /** Sessions of one live room; 404 when the room does not exist. */
  async listRoomSessions(
    roomId: string,
    filter: RoomSessionFilter,
    page: PageRequest,
    includeParticipants: boolean,
  ): Promise<Page<RoomSessionView>> {
    await this.#room(roomId);
    return this.listSessions({ ...filter, roomId }, page, includeParticipants);
  }

  async getSession(id: string, includeParticipants: boolean): Promise<RoomSessionView> {
    const session = await this.#store.sessions.find(id);
    if (session === undefined) {
      throw new NotFoundError('room session', id);
    }
    const [view] = await this.#withParticipants([session], includeParticipants);
    return view ?? { session };
  }

  async listParticipants(
    filter: RoomParticipantFilter,
    page: PageRequest,
  ): Promise<Page<RoomParticipant>> {
    return this.#store.participants.list(filter, page);
  }

  /** Participants of one session; 404 when the session does not exist. */
  async listSessionParticipants(
    sessionId: string,
    filter: RoomParticipantFilter,
    page: PageRequest,
  ): Promise<Page<RoomParticipant>> {
    if ((await this.#store.sessions.find(sessionId)) === undefined) {
      throw new NotFoundError('room session', sessionId);
    }
    return this.#store.participants.list({ ...filter, sessionId }, page);
  }

  async getParticipant(id: string): Promise<RoomParticipant> {
    const participant = await this.#store.participants.find(id);
    if (participant === undefined) {
      throw new NotFoundError('room participant', id);
    }
    return participant;
  }

  async #withParticipants(sessions: RoomSession[], include: boolean): Promise<RoomSessionView[]> {
    if (!include) {
      return sessions.map((session) => ({ session }));
    }
    const participants = await this.#store.participants.listForSessions(sessions.map((s) => s.id));
    return sessions.map((session) => ({
      session,
      participants: participants.filter((p) => p.sessionId === session.id),
    }));
  }

  async #room(id: string): Promise<Room> {
    const room = await this.#store.rooms.find(id);
    if (room === undefined) {
      throw new NotFoundError('room', id);
    }
    return room;
  }

  #uniqueNameConflict(error: unknown, uniqueName: string | null | undefined): unknown {
    if (isUniqueViolation(error)) {
      return new ConflictError(`a room named "${uniqueName ?? ''}" already exists`, {
        source: { pointer: '/unique_name' },
        cause: error,
      });
    }
    return error;
  }

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }
}
