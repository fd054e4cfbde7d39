import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { RoomSpec } from '../janus/JanusRoomEngine.js';
import type { RoomPresence } from '../rooms/RoomPresence.js';
import { InvalidStateError, NotFoundError } from '../errors.js';
import { SafeEventEmitter } from '../SafeEventEmitter.js';
import type { ClientGrant } from '../tokens/claims.js';
import type { TokenExpectation } from '../tokens/TokenVerifier.js';
import type { FrameRateOptions } from './FrameRateLimiter.js';
import type { ConnectionHost } from './GatewayConnection.js';
import { GatewayConnection, JANUS_PROTOCOL } from './GatewayConnection.js';
import type { CloseCode, RefusalStatus } from './GatewayRefusal.js';
import { CloseCode as Close, GatewayRefusal } from './GatewayRefusal.js';
import { GatewayRoom } from './GatewayRoom.js';
import type { ParticipantDisplay } from './ParticipantDisplay.js';

export interface RoomGatewayOptions {
  logger: Logger;
  tokens: { verify(token: string, expected: TokenExpectation): Promise<ClientGrant> };
  /** Live (not deleted) rooms by id. */
  rooms: { find(roomId: string): Promise<{ maxParticipants: number } | undefined> };
  presence: Pick<RoomPresence, 'join' | 'leave'>;
  media: {
    /** Janus's loopback WebSocket. */
    url: string;
    apiSecret?: string | undefined;
    engine: {
      ensureRoom(roomId: string, spec: RoomSpec): Promise<unknown>;
      destroyRoom(roomId: string): Promise<unknown>;
      /** The TextRoom's (secret) id in Janus. */
      textRoomId(roomId: string): string;
      /** A plugin room's secret (server-internal; needed to start recordings). */
      roomSecret?(roomId: string, plugin: 'videoroom'): string;
    };
  };
  /**
   * Chooses where Janus records a participant's stream (absolute path without extension), or
   * undefined when the room does not record. Without it nothing is recorded.
   */
  recordings?: RecordingTargets;
  /**
   * Participants of a room that are not gateway connections (phone calls); they count against
   * `max_participants` too. Default: none.
   */
  otherParticipants?: (roomId: string) => number;
  /** How long a room's Janus rooms outlive its last connection (a reload reuses them). Default 10 s. */
  roomGraceMs?: number;
  /** Largest client frame in bytes; larger ones end the connection (1009). Default 256 KiB. */
  maxFrameBytes?: number;
  /** Frame rate limit per connection. Default 50 per second, bursts of 200. */
  frameRate?: FrameRateOptions;
  /** Janus sessions per connection. Default 2. */
  maxSessions?: number;
  /** Plugin handles per connection. Default 300. */
  maxHandles?: number;
  /**
   * How often connections are checked for life, in ms. Default 10 s. Each check pings every
   * client and drops those that neither answered the previous ping nor sent a frame since, so a
   * silently dead client goes after one to two intervals.
   */
  livenessIntervalMs?: number;
}

export interface RecordingTargets {
  fileFor(roomId: string, participantId: string, streamKey: string): Promise<string | undefined>;
}

export interface RefusalEvent {
  roomId: string;
  participantId: string | undefined;
  status: RefusalStatus;
  code: string;
  /** What was asked, e.g. `message videoroom rtp_forward`. */
  request: string;
  reason: string;
}

export interface RoomGatewayEvents {
  /** A client frame was refused (also logged). */
  refused: [RefusalEvent];
  /** A participant's mixer leg joined or one of its publishers has (new) streams. */
  mediaChanged: [GatewayConnection];
}

/** Takes over one HTTP upgrade request. */
export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

const DELETED_ROOMS_REMEMBERED = 10_000;
const PATH = /^\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/janus\/?$/i;

/**
 * The only door to Janus: `wss://<host>/<roomId>/janus` with the `janus-protocol` subprotocol,
 * as `@telnyx/video` dials it. Each browser connection gets its own Janus connection on
 * loopback (Janus ties sessions to their transport) and every frame is checked on the way
 * (see GatewayConnection and docs/gateway.md). The gateway also keeps each room's Janus rooms
 * alive while anyone is connected and tells the presence who joined and left.
 */
export class RoomGateway extends SafeEventEmitter<RoomGatewayEvents> implements ConnectionHost {
  readonly janusUrl: string;
  readonly janusApiSecret: string | undefined;
  readonly frameRate: FrameRateOptions;
  readonly maxSessions: number;
  readonly maxHandles: number;
  readonly #options: RoomGatewayOptions;
  readonly #logger: Logger;
  readonly #wss: WebSocketServer;
  readonly #rooms = new Map<string, GatewayRoom<GatewayConnection>>();
  readonly #connections = new Set<GatewayConnection>();
  readonly #servers = new Set<HttpServer | HttpsServer>();
  readonly #deleted = new Set<string>();
  readonly #graceMs: number;
  readonly #onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void =>
    this.#upgrade(request, socket, head);
  readonly #routes = new Map<string, UpgradeHandler>();
  readonly #livenessTimer: NodeJS.Timeout;
  #closing: Promise<void> | undefined;

  constructor(options: RoomGatewayOptions) {
    super((error, event) =>
      options.logger.error({ err: error, event }, 'room gateway listener failed'),
    );
    this.#options = options;
    this.#logger = options.logger;
    this.janusUrl = options.media.url;
    this.janusApiSecret = options.media.apiSecret;
    this.frameRate = options.frameRate ?? { perSecond: 50, burst: 200 };
    this.maxSessions = options.maxSessions ?? 2;
    this.maxHandles = options.maxHandles ?? 300;
    this.#graceMs = options.roomGraceMs ?? 10_000;
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxFrameBytes ?? 256 * 1024,
      perMessageDeflate: false,
      handleProtocols: (protocols) => (protocols.has(JANUS_PROTOCOL) ? JANUS_PROTOCOL : false),
    });
    // WebSocket pings rather than waiting for the SDKs' 5 s Janus keepalives to stop: browsers
    // answer pings below the page, so a busy or throttled background tab whose keepalives run
    // late stays, while a client whose network died silently (no FIN/RST) is dropped within one
    // to two intervals, and its Janus session with it. Client frames count as signs of life too.
    this.#livenessTimer = setInterval(() => {
      for (const connection of [...this.#connections]) {
        if (!connection.checkLiveness()) {
          this.#connections.delete(connection);
        }
      }
    }, options.livenessIntervalMs ?? 10_000);
    this.#livenessTimer.unref();
  }

  /** Serves the gateway on an HTTP(S) server's upgrade requests. */
  attach(server: HttpServer | HttpsServer): void {
    this.#servers.add(server);
    server.on('upgrade', this.#onUpgrade);
  }

  /** Connections to one room now. */
  connections(roomId: string): GatewayConnection[] {
    return [...(this.#rooms.get(roomId)?.connections ?? [])];
  }

  /** How many participants are connected to a room now (each holds a participant id). */
  participantCount(roomId: string): number {
    return this.#rooms.get(roomId)?.participantIds.length ?? 0;
  }

  /** The connection that holds a participant id (the SDK's participantId) in a room. */
  participant(roomId: string, participantId: string): GatewayConnection | undefined {
    return this.#rooms.get(roomId)?.participant(participantId);
  }

  /** The connection of the participant the store knows by `recordId` (the REST API's id). */
  async participantByRecord(
    roomId: string,
    recordId: string,
  ): Promise<GatewayConnection | undefined> {
    const connections = this.connections(roomId);
    const ids = await Promise.all(connections.map((c) => c.recordId()));
    return connections.find((c, i) => ids[i] === recordId && !c.closed);
  }

  /**
   * Ends every connection to a room with `code` (default 4000, which the SDK reports as
   * `session_terminated`), e.g. when its session is ended. Clients may connect again.
   */
  closeRoom(roomId: string, reason: string, code: CloseCode = Close.SessionTerminated): void {
    const room = this.#rooms.get(roomId);
    if (room === undefined) {
      return;
    }
    // The session ends with them: participants a moderator removed may join the next one.
    room.forgetRemoved();
    for (const connection of [...room.connections]) {
      connection.close(code, reason);
    }
    this.#logger.info({ roomId, reason }, 'gateway closed the connections of a room');
  }

  /** The room was deleted: its connections end (4000) and no new one is accepted. */
  roomDeleted(roomId: string): void {
    // Remembered so that a connection whose room lookup raced with the deletion is refused.
    this.#deleted.add(roomId);
    if (this.#deleted.size > DELETED_ROOMS_REMEMBERED) {
      const oldest = this.#deleted.values().next();
      if (oldest.done !== true) {
        this.#deleted.delete(oldest.value);
      }
    }
    const room = this.#rooms.get(roomId);
    room?.markDeleted();
    this.closeRoom(roomId, 'room deleted');
    if (room !== undefined) {
      clearTimeout(room.teardownTimer);
      this.#rooms.delete(roomId);
    }
  }

  /** Janus restarted: its rooms must be ensured again before the next connection uses them. */
  mediaRestarted(): void {
    for (const room of this.#rooms.values()) {
      room.resetReady();
    }
  }

  /** Closes every connection and stops serving upgrades. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#livenessTimer);
      for (const server of this.#servers) {
        server.off('upgrade', this.#onUpgrade);
      }
      for (const connection of [...this.#connections]) {
        connection.close(Close.GoingAway, 'server stopping');
      }
      for (const room of this.#rooms.values()) {
        clearTimeout(room.teardownTimer);
      }
      this.#rooms.clear();
      await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    })();
    return this.#closing;
  }

  /** Serves another WebSocket path on the gateway's listeners (the phone bridge's `/telnyx`). */
  route(path: string, handler: UpgradeHandler): void {
    this.#routes.set(path, handler);
  }

  /**
   * Keeps a room's Janus rooms open for a participant that is not a client connection (a phone
   * call), creating them first if needed. Resolves with the release; once nothing holds the room,
   * its Janus rooms go after the grace, as after a last connection.
   */
  async holdRoom(roomId: string): Promise<() => void> {
    const stored = await this.#options.rooms.find(roomId);
    if (stored === undefined || this.#deleted.has(roomId)) {
      throw new NotFoundError('room', roomId);
    }
    if (this.#closing !== undefined) {
      throw new InvalidStateError('the room gateway is closing');
    }
    let room = this.#rooms.get(roomId);
    if (room === undefined) {
      room = this.#newRoom(roomId, stored.maxParticipants);
      this.#rooms.set(roomId, room);
    }
    const held = room;
    held.holds += 1;
    clearTimeout(held.teardownTimer);
    held.teardownTimer = undefined;
    let released = false;
    const release = (): void => {
      if (!released) {
        released = true;
        held.holds -= 1;
        this.#teardownWhenIdle(held);
      }
    };
    try {
      await held.ready(async () => {
        await this.#options.media.engine.ensureRoom(roomId, {
          maxParticipants: stored.maxParticipants,
        });
      });
    } catch (error) {
      release();
      throw error;
    }
    return release;
  }

  /**
   * Sends an AudioBridge event to every client of a room as if Janus had sent it, e.g. a phone
   * participant's `talking` (Janus computes none for plain-RTP legs).
   */
  sendAudioBridgeEvent(roomId: string, data: Record<string, unknown>): void {
    for (const connection of this.#rooms.get(roomId)?.connections ?? []) {
      connection.pushAudioBridgeEvent(data);
    }
  }

  /** Where Janus should record a participant's stream, or undefined when the room does not record. */
  async recordingFile(
    roomId: string,
    participantId: string,
    streamKey: string,
  ): Promise<string | undefined> {
    return this.#options.recordings?.fileFor(roomId, participantId, streamKey);
  }

  // ---------------------------------------------------------------- ConnectionHost

  async recordingTarget(
    roomId: string,
    participantId: string,
    streamKey: string,
  ): Promise<{ filename: string; secret: string } | undefined> {
    const secret = this.#options.media.engine.roomSecret?.(roomId, 'videoroom');
    if (secret === undefined) {
      return undefined;
    }
    const filename = await this.#options.recordings?.fileFor(roomId, participantId, streamKey);
    return filename === undefined ? undefined : { filename, secret };
  }

  verifyToken(token: string, roomId: string): Promise<ClientGrant> {
    return this.#options.tokens.verify(token, { type: 'access', roomId });
  }

  async openRoom(
    roomId: string,
    connection: GatewayConnection,
  ): Promise<GatewayRoom<GatewayConnection>> {
    const stored = await this.#options.rooms.find(roomId);
    if (stored === undefined || this.#deleted.has(roomId)) {
      throw GatewayRefusal.unauthorized('the room does not exist or was deleted');
    }
    if (this.#closing !== undefined || connection.closed) {
      throw GatewayRefusal.unavailable('the connection is closing');
    }
    let room = this.#rooms.get(roomId);
    if (room === undefined) {
      room = this.#newRoom(roomId, stored.maxParticipants);
      this.#rooms.set(roomId, room);
    }
    if (room.maxParticipants !== stored.maxParticipants) {
      // max_participants changed while the room was live: the engine resizes the VideoRoom.
      room.maxParticipants = stored.maxParticipants;
      room.resetReady();
    }
    clearTimeout(room.teardownTimer);
    room.teardownTimer = undefined;
    room.connections.add(connection);
    const spec = { maxParticipants: stored.maxParticipants };
    try {
      await room.ready(async () => {
        await this.#options.media.engine.ensureRoom(roomId, spec);
      });
    } catch (error) {
      throw GatewayRefusal.unavailable('the media server could not open the room', error);
    }
    return room;
  }

  async participantJoined(
    connection: GatewayConnection,
    display: ParticipantDisplay,
  ): Promise<string> {
    try {
      const participant = await this.#options.presence.join({
        roomId: connection.roomId,
        preferredId: display.participantId,
        context: display.external ?? null,
      });
      this.#logger.info(
        {
          roomId: connection.roomId,
          participantId: participant.id,
          sessionId: participant.sessionId,
        },
        'participant joined',
      );
      return participant.id;
    } catch (error) {
      this.#logger.error(
        { err: error, roomId: connection.roomId },
        'could not record a participant joining',
      );
      throw error;
    }
  }

  participantLeft(connection: GatewayConnection, recordId: string): void {
    this.#options.presence.leave(recordId).then(
      () =>
        this.#logger.info(
          { roomId: connection.roomId, participantId: recordId },
          'participant left',
        ),
      (error: unknown) =>
        this.#logger.error(
          { err: error, roomId: connection.roomId, participantId: recordId },
          'could not record a participant leaving',
        ),
    );
  }

  mediaChanged(connection: GatewayConnection): void {
    this.safeEmit('mediaChanged', connection);
  }

  textRoomId(roomId: string): string {
    return this.#options.media.engine.textRoomId(roomId);
  }

  refused(connection: GatewayConnection, refusal: GatewayRefusal, request: string): void {
    const event: RefusalEvent = {
      roomId: connection.roomId,
      participantId: connection.participantId,
      status: refusal.status,
      code: refusal.code,
      request,
      reason: refusal.message,
    };
    this.#logger.info(event, `gateway refused ${request}: ${refusal.message}`);
    this.safeEmit('refused', event);
  }

  closed(connection: GatewayConnection): void {
    this.#connections.delete(connection);
    const room = this.#rooms.get(connection.roomId);
    if (room === undefined || !room.connections.delete(connection)) {
      return;
    }
    this.#teardownWhenIdle(room);
  }

  #newRoom(roomId: string, maxParticipants: number): GatewayRoom<GatewayConnection> {
    const others = this.#options.otherParticipants;
    return new GatewayRoom<GatewayConnection>(
      roomId,
      maxParticipants,
      others === undefined ? undefined : () => others(roomId),
    );
  }

  #teardownWhenIdle(room: GatewayRoom<GatewayConnection>): void {
    if (room.connections.size > 0 || room.holds > 0 || this.#closing !== undefined) {
      return;
    }
    // The last one left: Janus runs a mixer thread per AudioBridge room, so idle rooms go,
    // after a grace that lets a reloading page come back to the same rooms.
    room.teardownTimer = setTimeout(() => {
      if (this.#rooms.get(room.roomId) !== room || room.connections.size > 0 || room.holds > 0) {
        return;
      }
      this.#rooms.delete(room.roomId);
      this.#options.media.engine.destroyRoom(room.roomId).catch((error: unknown) => {
        this.#logger.warn({ err: error, roomId: room.roomId }, 'could not remove idle janus rooms');
      });
    }, this.#graceMs);
  }

  // ---------------------------------------------------------------- upgrades

  #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (request.url ?? '').split('?')[0] ?? '';
    const routed = this.#routes.get(path);
    if (routed !== undefined) {
      if (this.#closing !== undefined) {
        rejectUpgrade(socket, 503, 'Service Unavailable');
        return;
      }
      routed(request, socket, head);
      return;
    }
    const roomId = PATH.exec(path)?.[1]?.toLowerCase();
    if (roomId === undefined) {
      rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    if (this.#closing !== undefined) {
      rejectUpgrade(socket, 503, 'Service Unavailable');
      return;
    }
    const protocols = (request.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim());
    if (!protocols.includes(JANUS_PROTOCOL)) {
      rejectUpgrade(socket, 400, 'Bad Request', `subprotocol ${JANUS_PROTOCOL} required`);
      return;
    }
    this.#wss.handleUpgrade(request, socket, head, (ws) => {
      const connection = new GatewayConnection(
        ws,
        roomId,
        this,
        this.#logger.child({ component: 'gateway', roomId }),
      );
      this.#connections.add(connection);
      ws.once('close', () => {
        this.#connections.delete(connection);
      });
    });
  }
}

function rejectUpgrade(socket: Duplex, status: number, text: string, body = text): void {
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
