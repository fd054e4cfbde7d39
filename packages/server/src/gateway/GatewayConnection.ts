import type { Logger } from 'pino';
import WebSocket from 'ws';
import type { RawData } from 'ws';
import type { RoomPlugin } from '../janus/JanusRoomEngine.js';
import { TokenError } from '../errors.js';
import type { ClientGrant } from '../tokens/claims.js';
import { FrameRateLimiter } from './FrameRateLimiter.js';
import type { FrameRateOptions } from './FrameRateLimiter.js';
import { CloseCode, GatewayRefusal } from './GatewayRefusal.js';
import type { GatewayRoom } from './GatewayRoom.js';
import type { ParticipantDisplay } from './ParticipantDisplay.js';
import type { CoreRequest, RequestRole } from './RequestPolicy.js';
import {
  CORE_REQUESTS,
  PLUGIN_BY_NAME,
  checkPluginRequest,
  sanitizeJsep,
} from './RequestPolicy.js';

export const JANUS_PROTOCOL = 'janus-protocol';

/** What a connection needs from the gateway that owns it. */
export interface ConnectionHost {
  readonly janusUrl: string;
  readonly janusApiSecret: string | undefined;
  readonly frameRate: FrameRateOptions;
  /** Janus sessions one connection may open. */
  readonly maxSessions: number;
  /** Plugin handles one connection may hold. */
  readonly maxHandles: number;
  verifyToken(token: string, roomId: string): Promise<ClientGrant>;
  /** Checks that the room exists, joins the connection to it and makes its Janus rooms ready. */
  openRoom(roomId: string, connection: GatewayConnection): Promise<GatewayRoom<GatewayConnection>>;
  participantJoined(connection: GatewayConnection, display: ParticipantDisplay): Promise<string>;
  participantLeft(connection: GatewayConnection, recordId: string): void;
  /** The participant's mixer leg joined or one of its publishers has (new) streams. */
  mediaChanged(connection: GatewayConnection): void;
  /** The room's TextRoom id in Janus (a secret of the room's clients). */
  textRoomId(roomId: string): string;
  /**
   * Where and with which room secret Janus records a participant's stream; undefined when the
   * room does not record.
   */
  recordingTarget(
    roomId: string,
    participantId: string,
    streamKey: string,
  ): Promise<{ filename: string; secret: string } | undefined>;
  refused(connection: GatewayConnection, refusal: GatewayRefusal, request: string): void;
  closed(connection: GatewayConnection): void;
}

/** The Janus ids of one participant's handles, for server-side moderation. */
export interface JanusParticipantIds {
  /** AudioBridge participant id of the roster registration. */
  roster: string | undefined;
  /** AudioBridge participant id of the mixed-audio leg. */
  mixer: string | undefined;
  /** VideoRoom publishers per stream key. */
  publishers: ReadonlyMap<string, JanusPublisherIds>;
}

export interface JanusPublisherIds {
  /** VideoRoom publisher id. */
  id: string;
  /** Mids of its audio streams, once Janus answered its offer. */
  audioMids: readonly string[];
}

/** How long a replaced connection's Janus sessions may take to go before it closes anyway. */
const REPLACE_TIMEOUT_MS = 2000;

/** Requests a participant removed by a moderator may still make: the ways out. */
const LEAVING_REQUESTS: ReadonlySet<string> = new Set(['keepalive', 'detach', 'hangup', 'destroy']);

type Frame = Record<string, unknown>;

interface PendingRequest {
  kind: CoreRequest;
  sessionId?: number;
  handleId?: number;
  plugin?: RoomPlugin;
  request?: string;
  role?: RequestRole;
  display?: ParticipantDisplay | undefined;
}

interface HandleState {
  sessionId: number;
  plugin: RoomPlugin;
}

interface StreamInfo {
  type: string;
  mid: string;
}

let nextConnectionId = 1;

/**
 * One browser connection and the Janus connection behind it. Every client frame is checked
 * (token, room, ownership of sessions and handles, the request allow-list) and forwarded as a
 * fresh serialisation of the checked object; Janus's frames are tracked (sessions, handles,
 * participant ids) and passed back with the few rewrites the SDK needs.
 */
export class GatewayConnection {
  readonly id = nextConnectionId++;
  readonly roomId: string;
  readonly #client: WebSocket;
  readonly #host: ConnectionHost;
  readonly #logger: Logger;
  readonly #limiter: FrameRateLimiter;
  readonly #janus: WebSocket;
  readonly #janusQueue: string[] = [];
  readonly #sessions = new Set<number>();
  readonly #handles = new Map<number, HandleState>();
  readonly #pending = new Map<string, PendingRequest>();
  /** Streams of the publishers this connection has seen, for moderation rewrites. */
  readonly #publisherStreams = new Map<string, StreamInfo[]>();
  /** This participant's VideoRoom publisher ids by stream key, and their handles. */
  readonly #publisherIds = new Map<string, string>();
  readonly #publisherHandles = new Map<number, { key: string; id: string }>();
  /** Publisher handles whose first offer has been given a recording target (or none). */
  readonly #recordingDecided = new Set<number>();
  readonly #ended: Promise<void>;
  #resolveEnded: () => void = () => undefined;
  #inbound: Promise<void> = Promise.resolve();
  #room: GatewayRoom<GatewayConnection> | undefined;
  #participantId: string | undefined;
  #rosterHandle: number | undefined;
  #rosterId: string | undefined;
  #mixerId: string | undefined;
  /** The presence record of the current registration (resolves to its id). */
  #record: Promise<string | undefined> | undefined;
  #audioMuteLocked = false;
  #removed = false;
  #removalTimer: NodeJS.Timeout | undefined;
  #expiresAt = 0;
  #expiryTimer: NodeJS.Timeout | undefined;
  /** Whether the client sent a frame or a pong since the last liveness check. */
  #heard = true;
  /** A newer connection took this one's participant id; only its Janus sessions' end is awaited. */
  #replaced = false;
  #onSessionsGone: (() => void) | undefined;
  /** The connection this one replaces, while its Janus sessions are being destroyed. */
  #replacing: Promise<void> | undefined;
  #closed = false;
  readonly openedAt = Date.now();

  constructor(client: WebSocket, roomId: string, host: ConnectionHost, logger: Logger) {
    this.#client = client;
    this.roomId = roomId;
    this.#host = host;
    this.#logger = logger;
    this.#limiter = new FrameRateLimiter(host.frameRate);
    this.#ended = new Promise((resolve) => {
      this.#resolveEnded = resolve;
    });
    client.on('message', (data, isBinary) => this.#onClientMessage(data, isBinary));
    client.on('pong', () => {
      this.#heard = true;
    });
    client.on('close', () => this.#shutdown());
    client.on('error', (error) => {
      // ws reports oversized frames here and closes with 1009 itself.
      this.#host.refused(this, GatewayRefusal.malformed(error.message), 'frame');
    });
    this.#janus = new WebSocket(host.janusUrl, JANUS_PROTOCOL, { perMessageDeflate: false });
    this.#janus.on('open', () => {
      for (const text of this.#janusQueue.splice(0)) {
        this.#janus.send(text);
      }
    });
    this.#janus.on('message', (data) => this.#onJanusMessage(rawText(data)));
    this.#janus.on('error', (error) => {
      this.#logger.warn({ err: error, roomId: this.roomId }, 'gateway: janus connection error');
    });
    this.#janus.on('close', () => {
      if (!this.#closed) {
        this.close(CloseCode.ServiceRestart, 'media server connection lost');
      }
    });
  }

  /** The participant id the client declared, once it has. */
  get participantId(): string | undefined {
    return this.#participantId;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves once the connection has ended. */
  get ended(): Promise<void> {
    return this.#ended;
  }

  /** The Janus participant ids behind this connection (for kick and mute). */
  get janusIds(): JanusParticipantIds {
    const publishers = new Map<string, JanusPublisherIds>();
    for (const [key, id] of this.#publisherIds) {
      const streams = this.#publisherStreams.get(id) ?? [];
      publishers.set(key, {
        id,
        audioMids: streams.filter((s) => s.type === 'audio').map((s) => s.mid),
      });
    }
    return { roster: this.#rosterId, mixer: this.#mixerId, publishers };
  }

  /** Whether a moderator mute holds on this participant's audio. */
  get audioMuteLocked(): boolean {
    return this.#audioMuteLocked;
  }

  /** The presence record id of the participant, once registered. */
  recordId(): Promise<string | undefined> {
    return this.#record ?? Promise.resolve(undefined);
  }

  /**
   * A moderator muted (or unmuted) this participant's audio. AudioBridge has no mute lock of
   * its own, so while locked the gateway refuses the participant's own unmute.
   */
  setAudioMuteLock(locked: boolean): void {
    this.#audioMuteLocked = locked;
  }

  /**
   * A moderator removed this participant: from now on only its ways out (destroy, detach,
   * hangup, keepalive) pass, and the connection ends with 4000 after `graceMs` unless the
   * client has closed it by then (the SDK does so itself when it sees it was kicked).
   */
  removeByModerator(graceMs: number): void {
    if (this.#removed || this.#closed) {
      return;
    }
    this.#removed = true;
    if (this.#participantId !== undefined) {
      this.#room?.markRemoved(this.#participantId);
    }
    this.#removalTimer = setTimeout(
      () => this.close(CloseCode.SessionTerminated, 'removed from the room'),
      graceMs,
    );
  }

  /**
   * Called every liveness interval by the gateway: a connection that neither sent a frame nor
   * answered the previous ping since the last call is dropped (its network died without a
   * FIN/RST reaching us), otherwise it is pinged again. Returns whether it is still open.
   */
  checkLiveness(): boolean {
    if (this.#closed) {
      return false;
    }
    if (!this.#heard) {
      this.#logger.info(
        { roomId: this.roomId, participantId: this.#participantId },
        'gateway dropped a connection that stopped answering',
      );
      this.#client.terminate();
      this.#shutdown();
      return false;
    }
    this.#heard = false;
    if (this.#client.readyState === WebSocket.OPEN) {
      this.#client.ping();
    }
    return true;
  }

  /** Ends the connection (and with it the participant's Janus session). Idempotent. */
  close(code: CloseCode, reason: string): void {
    if (this.#closed) {
      return;
    }
    if (
      this.#client.readyState === WebSocket.OPEN ||
      this.#client.readyState === WebSocket.CONNECTING
    ) {
      this.#client.close(code, reason.slice(0, 120));
    }
    this.#shutdown();
  }

  // ----------------------------------------------------------------- client → Janus

  #onClientMessage(data: RawData, isBinary: boolean): void {
    this.#heard = true;
    if (this.#closed || this.#replaced) {
      return;
    }
    if (isBinary) {
      this.#refuse(GatewayRefusal.unsupported('binary frames are not Janus requests'), undefined);
      return;
    }
    if (!this.#limiter.take()) {
      this.#refuse(
        GatewayRefusal.rateLimited(
          `more than ${this.#host.frameRate.burst} frames at once or ${this.#host.frameRate.perSecond} per second`,
        ),
        undefined,
      );
      return;
    }
    const text = rawText(data);
    // Frames are handled one at a time, in order: the first one waits for the room.
    this.#inbound = this.#inbound.then(() => this.#handleClientFrame(text));
  }

  async #handleClientFrame(text: string): Promise<void> {
    if (this.#closed || this.#replaced) {
      return;
    }
    let frame: Frame | undefined;
    try {
      frame = parseFrame(text);
      await this.#authorize(frame);
      if (this.#closed || this.#replaced) {
        return;
      }
      const out = this.#checkRequest(frame);
      if (this.#replacing !== undefined) {
        // The replaced connection's roster registration leaves before this one's joins, so
        // that other clients never see the participant twice.
        await this.#replacing;
        this.#replacing = undefined;
      }
      await this.#addRecording(out);
      if (this.#closed) {
        return;
      }
      this.#toJanus(out);
    } catch (error) {
      if (error instanceof GatewayRefusal) {
        this.#refuse(error, frame);
      } else {
        this.#logger.error({ err: error, roomId: this.roomId }, 'gateway: frame handling failed');
        this.#refuse(
          GatewayRefusal.unavailable('the gateway failed to handle the request', error),
          frame,
        );
      }
    }
  }

  async #authorize(frame: Frame): Promise<void> {
    const token = frame.client_token;
    if (typeof token !== 'string' || token === '') {
      throw GatewayRefusal.unauthorized('client_token is missing');
    }
    let grant: ClientGrant;
    try {
      grant = await this.#host.verifyToken(token, this.roomId);
    } catch (error) {
      throw error instanceof TokenError ? GatewayRefusal.fromTokenError(error) : error;
    }
    if (this.#room === undefined) {
      this.#room = await this.#host.openRoom(this.roomId, this);
    } else if (this.#room.deleted) {
      throw GatewayRefusal.unauthorized('the room was deleted');
    }
    this.#armExpiry(grant.expiresAt);
  }

  /** Checks one request and returns the frame to send to Janus. */
  #checkRequest(frame: Frame): Frame {
    const kind = frame.janus as string;
    if (!Object.hasOwn(CORE_REQUESTS, kind)) {
      throw GatewayRefusal.forbidden(`Janus request "${kind}" is not allowed`);
    }
    if (this.#removed && !LEAVING_REQUESTS.has(kind)) {
      throw GatewayRefusal.forbidden('removed from the room by a moderator');
    }
    const request = kind as CoreRequest;
    const out: Frame = { janus: request, transaction: frame.transaction };
    for (const field of CORE_REQUESTS[request] as readonly string[]) {
      if (frame[field] !== undefined) {
        out[field] = frame[field];
      }
    }
    const pending: PendingRequest = { kind: request };
    if (request !== 'create') {
      pending.sessionId = this.#ownSession(frame.session_id);
    }
    switch (request) {
      case 'create':
        if (this.#sessions.size >= this.#host.maxSessions) {
          throw GatewayRefusal.forbidden(
            `at most ${this.#host.maxSessions} Janus sessions per connection`,
          );
        }
        break;
      case 'attach': {
        const plugin = typeof frame.plugin === 'string' ? PLUGIN_BY_NAME[frame.plugin] : undefined;
        if (plugin === undefined) {
          throw GatewayRefusal.forbidden(`plugin ${String(frame.plugin)} is not available`);
        }
        if (this.#handles.size >= this.#host.maxHandles) {
          throw GatewayRefusal.forbidden(`at most ${this.#host.maxHandles} handles per connection`);
        }
        if (
          out.opaque_id !== undefined &&
          (typeof out.opaque_id !== 'string' || out.opaque_id.length > 64)
        ) {
          throw GatewayRefusal.forbidden('opaque_id must be a string of at most 64 characters');
        }
        pending.plugin = plugin;
        break;
      }
      case 'message': {
        pending.handleId = this.#ownHandle(frame.handle_id, pending.sessionId!);
        const plugin = this.#handles.get(pending.handleId)!.plugin;
        const verdict = checkPluginRequest(plugin, frame.body, {
          roomId: this.roomId,
          participantId: this.#participantId,
          audioMuteLocked: this.#audioMuteLocked,
        });
        if (verdict.display !== undefined && this.#participantId === undefined) {
          // The first display binds the connection to a participant (refused after a
          // moderator removed that id, or when the room is full); a live connection that held
          // the id is replaced.
          const previous = this.#room!.claim(verdict.display.participantId, this);
          this.#participantId = verdict.display.participantId;
          if (previous !== undefined) {
            this.#replacing = previous.#replaceBy(this);
          }
        }
        out.body = verdict.body;
        if (frame.jsep !== undefined) {
          out.jsep = sanitizeJsep(frame.jsep);
        }
        Object.assign(pending, {
          plugin,
          request: verdict.request,
          role: verdict.role,
          display: verdict.display,
        });
        break;
      }
      case 'trickle':
        pending.handleId = this.#ownHandle(frame.handle_id, pending.sessionId!);
        if (out.candidate === undefined && out.candidates === undefined) {
          throw GatewayRefusal.malformed('trickle needs candidate or candidates');
        }
        break;
      case 'detach':
      case 'hangup':
        pending.handleId = this.#ownHandle(frame.handle_id, pending.sessionId!);
        break;
      case 'keepalive':
      case 'destroy':
        break;
    }
    this.#pending.set(frame.transaction as string, pending);
    return out;
  }

  /**
   * A publisher's first offer in a recording room gets Janus's `record` flag, the file name the
   * server chose and the room secret (rooms are created with `lock_record`, so a client can never
   * start, stop or redirect a recording itself).
   */
  async #addRecording(out: Frame): Promise<void> {
    if (out.janus !== 'message' || out.jsep === undefined) {
      return;
    }
    const pending = this.#pending.get(out.transaction as string);
    const body = out.body as Frame | undefined;
    if (
      pending?.plugin !== 'videoroom' ||
      pending.handleId === undefined ||
      (body?.request !== 'configure' && body?.request !== 'publish')
    ) {
      return;
    }
    const publisher = this.#publisherHandles.get(pending.handleId);
    if (publisher === undefined || this.#recordingDecided.has(pending.handleId)) {
      return;
    }
    this.#recordingDecided.add(pending.handleId);
    try {
      const participantId = await this.recordId();
      const target =
        participantId === undefined
          ? undefined
          : await this.#host.recordingTarget(this.roomId, participantId, publisher.key);
      if (target !== undefined) {
        body.record = true;
        body.filename = target.filename;
        body.secret = target.secret;
      }
    } catch (error) {
      // Media goes on without a recording rather than not at all.
      this.#logger.error({ err: error, roomId: this.roomId }, 'gateway: recording not started');
    }
  }

  /**
   * A newer connection declared this one's participant id (the same right as joining: a valid
   * token for the room). The participant's presence record and moderator mute go over to it, so
   * the participant continues rather than leaving and joining again; this connection's Janus
   * sessions are destroyed (the roster registration leaves for everyone), then it closes with
   * 4002. Resolves once that is done, or after REPLACE_TIMEOUT_MS.
   */
  #replaceBy(successor: GatewayConnection): Promise<void> {
    this.#replaced = true;
    successor.#record ??= this.#record;
    this.#record = undefined;
    successor.#audioMuteLocked ||= this.#audioMuteLocked;
    this.#logger.info(
      { roomId: this.roomId, participantId: this.#participantId },
      'gateway replaced a connection by a newer one of the same participant',
    );
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#onSessionsGone = undefined;
        this.close(CloseCode.Replaced, 'replaced by a new connection of this participant');
        resolve();
      };
      const timer = setTimeout(done, REPLACE_TIMEOUT_MS);
      if (this.#sessions.size === 0 || this.#janus.readyState !== WebSocket.OPEN) {
        done();
        return;
      }
      this.#onSessionsGone = done;
      for (const sessionId of this.#sessions) {
        const transaction = `gateway-replace-${sessionId}`;
        this.#pending.set(transaction, { kind: 'destroy', sessionId });
        this.#toJanus({ janus: 'destroy', session_id: sessionId, transaction });
      }
    });
  }

  #ownSession(value: unknown): number {
    if (typeof value !== 'number' || !this.#sessions.has(value)) {
      throw GatewayRefusal.forbidden('session_id names no session of this connection');
    }
    return value;
  }

  #ownHandle(value: unknown, sessionId: number): number {
    const handle = typeof value === 'number' ? this.#handles.get(value) : undefined;
    if (handle === undefined || handle.sessionId !== sessionId) {
      throw GatewayRefusal.forbidden('handle_id names no handle of this session');
    }
    return value as number;
  }

  #toJanus(frame: Frame): void {
    if (this.#host.janusApiSecret !== undefined) {
      frame.apisecret = this.#host.janusApiSecret;
    }
    const text = JSON.stringify(frame);
    if (this.#janus.readyState === WebSocket.OPEN) {
      this.#janus.send(text);
    } else if (this.#janus.readyState === WebSocket.CONNECTING) {
      this.#janusQueue.push(text);
    } else {
      this.#refuse(GatewayRefusal.unavailable('the media server is not reachable'), frame);
    }
  }

  #refuse(refusal: GatewayRefusal, frame: Frame | undefined): void {
    const reply: Frame = { janus: 'error' };
    if (typeof frame?.transaction === 'string') {
      reply.transaction = frame.transaction;
    }
    if (typeof frame?.session_id === 'number') {
      reply.session_id = frame.session_id;
    }
    reply.status_code = refusal.status;
    reply.error_message = refusal.message;
    reply.error = { code: janusErrorCode(refusal.status), reason: refusal.message };
    this.#toClient(JSON.stringify(reply));
    this.#host.refused(this, refusal, describe(frame, this.#handles));
    if (refusal.close !== undefined) {
      this.close(refusal.close, refusal.message);
    }
  }

  #armExpiry(expiresAt: number): void {
    if (expiresAt === this.#expiresAt) {
      return;
    }
    this.#expiresAt = expiresAt;
    clearTimeout(this.#expiryTimer);
    const delay = Math.min(Math.max(expiresAt - Date.now(), 0), 2 ** 31 - 1);
    this.#expiryTimer = setTimeout(() => {
      this.#refuse(GatewayRefusal.fromTokenError(TokenError.expired()), undefined);
    }, delay);
  }

  // ----------------------------------------------------------------- Janus → client

  #onJanusMessage(text: string): void {
    if (this.#closed) {
      return;
    }
    let frame: Frame;
    try {
      frame = JSON.parse(text) as Frame;
    } catch {
      this.#toClient(text);
      return;
    }
    const changed = this.#track(frame);
    if (!this.#replaced) {
      this.#toClient(changed ? JSON.stringify(frame) : text);
    }
  }

  /** Follows sessions, handles and participants; returns whether the frame was rewritten. */
  #track(frame: Frame): boolean {
    const transaction = typeof frame.transaction === 'string' ? frame.transaction : undefined;
    const pending = transaction === undefined ? undefined : this.#pending.get(transaction);
    let changed = false;
    switch (frame.janus) {
      case 'success':
      case 'event':
      case 'error':
        if (pending !== undefined) {
          this.#pending.delete(transaction!);
          if (frame.janus !== 'error') {
            changed = this.#onReply(pending, frame);
          } else if (this.#replaced && pending.kind === 'destroy') {
            // Janus no longer knows the session: it is gone all the same.
            this.#sessionGone(pending.sessionId!);
          }
        } else if (frame.janus === 'event') {
          changed = this.#onPluginEvent(frame);
        }
        break;
      case 'ack':
        // A plugin message is answered by an ack and then its event.
        if (pending !== undefined && pending.kind !== 'message') {
          this.#pending.delete(transaction!);
        }
        break;
      case 'detached':
        if (typeof frame.sender === 'number') {
          this.#handleGone(frame.sender);
        }
        break;
      case 'timeout':
        if (typeof frame.session_id === 'number') {
          this.#sessionGone(frame.session_id);
          if (this.#sessions.size === 0) {
            // The SDK ignores this frame but understands the close code.
            queueMicrotask(() => this.close(CloseCode.TimedOut, 'janus session timed out'));
          }
        }
        break;
    }
    return changed;
  }

  #onReply(pending: PendingRequest, frame: Frame): boolean {
    const data = frame.data as { id?: unknown } | undefined;
    switch (pending.kind) {
      case 'create':
        if (typeof data?.id === 'number') {
          this.#sessions.add(data.id);
        }
        return false;
      case 'attach':
        if (typeof data?.id === 'number' && pending.plugin !== undefined) {
          this.#handles.set(data.id, { sessionId: pending.sessionId!, plugin: pending.plugin });
        }
        return false;
      case 'detach':
        this.#handleGone(pending.handleId!);
        return false;
      case 'destroy':
        this.#sessionGone(pending.sessionId!);
        return false;
      case 'message':
        return this.#onPluginReply(pending, frame);
      default:
        return false;
    }
  }

  #onPluginReply(pending: PendingRequest, frame: Frame): boolean {
    const data = pluginData(frame);
    if (data === undefined || data.error_code !== undefined) {
      return false;
    }
    let changed = false;
    if (pending.plugin === 'audiobridge') {
      if (data.audiobridge === 'joined' && typeof data.id === 'string') {
        if (pending.role === 'register' && pending.display !== undefined) {
          this.#rosterHandle = pending.handleId;
          this.#rosterId = data.id;
          this.#registered(pending.display);
        } else if (pending.role === 'mixer') {
          this.#mixerId = data.id;
          this.#host.mediaChanged(this);
        }
      } else if (data.audiobridge === 'left' && pending.handleId === this.#rosterHandle) {
        this.#unregistered();
      }
    } else if (pending.plugin === 'videoroom') {
      if (data.videoroom === 'joined' && typeof data.id === 'string') {
        const key = pending.display?.stream?.key;
        if (pending.role === 'publisher' && key !== undefined && pending.handleId !== undefined) {
          this.#publisherIds.set(key, data.id);
          this.#publisherHandles.set(pending.handleId, { key, id: data.id });
        }
      }
      if (Array.isArray(data.streams) && data.configured === 'ok') {
        const id = this.#publisherIdOfHandle(pending);
        if (id !== undefined) {
          this.#publisherStreams.set(id, streamsOf(data.streams));
          this.#host.mediaChanged(this);
        }
      }
      changed = this.#rewritePublishers(data);
    } else if (pending.plugin === 'textroom' && pending.request === 'setup') {
      if (data.textroom === 'event' && data.result === 'ok') {
        // The SDK reads the room for its data-channel join from this non-standard field; the
        // TextRoom's id is a secret of this room's clients (docs/gateway.md).
        data.janus_room_id = this.#host.textRoomId(this.roomId);
        changed = true;
      }
    }
    return changed;
  }

  #onPluginEvent(frame: Frame): boolean {
    const data = pluginData(frame);
    if (data === undefined || data.videoroom === undefined) {
      return false;
    }
    let changed = this.#rewritePublishers(data);
    if (
      data.videoroom === 'event' &&
      typeof data.moderation === 'string' &&
      typeof data.id === 'string' &&
      typeof data.mid === 'string'
    ) {
      // Janus 1.x reports moderation per mid; the SDK reads the 0.x per-kind keys.
      const stream = this.#publisherStreams.get(data.id)?.find((s) => s.mid === data.mid);
      if (stream?.type === 'audio' || stream?.type === 'video') {
        data[`${stream.type}-moderation`] = data.moderation;
        changed = true;
      }
    }
    return changed;
  }

  /** Adds the 0.x `audio_moderated`/`video_moderated` flags to publisher lists. */
  #rewritePublishers(data: Frame): boolean {
    if (!Array.isArray(data.publishers)) {
      return false;
    }
    let changed = false;
    for (const publisher of data.publishers as Frame[]) {
      if (typeof publisher.id !== 'string' || !Array.isArray(publisher.streams)) {
        continue;
      }
      this.#publisherStreams.set(publisher.id, streamsOf(publisher.streams));
      for (const stream of publisher.streams as Frame[]) {
        if (stream.moderated === true && (stream.type === 'audio' || stream.type === 'video')) {
          publisher[`${stream.type}_moderated`] = true;
          changed = true;
        }
      }
    }
    return changed;
  }

  #publisherIdOfHandle(pending: PendingRequest): string | undefined {
    const own =
      pending.handleId === undefined ? undefined : this.#publisherHandles.get(pending.handleId);
    if (own !== undefined) {
      return own.id;
    }
    const key = pending.display?.stream?.key;
    return key === undefined ? undefined : this.#publisherIds.get(key);
  }

  #handleGone(handleId: number): void {
    this.#handles.delete(handleId);
    const publisher = this.#publisherHandles.get(handleId);
    if (publisher !== undefined) {
      this.#publisherHandles.delete(handleId);
      if (this.#publisherIds.get(publisher.key) === publisher.id) {
        this.#publisherIds.delete(publisher.key);
      }
    }
    if (handleId === this.#rosterHandle) {
      this.#unregistered();
    }
  }

  #sessionGone(sessionId: number): void {
    this.#sessions.delete(sessionId);
    for (const [handleId, handle] of this.#handles) {
      if (handle.sessionId === sessionId) {
        this.#handleGone(handleId);
      }
    }
    if (this.#sessions.size === 0) {
      this.#onSessionsGone?.();
    }
  }

  #registered(display: ParticipantDisplay): void {
    // A replaced connection's late registration is not a participant: its successor is.
    if (this.#record !== undefined || this.#replaced) {
      return;
    }
    this.#record = this.#host.participantJoined(this, display).then(
      (id) => id,
      () => undefined,
    );
  }

  #unregistered(): void {
    const record = this.#record;
    this.#record = undefined;
    this.#rosterHandle = undefined;
    this.#rosterId = undefined;
    void record?.then((id) => {
      if (id !== undefined) {
        this.#host.participantLeft(this, id);
      }
    });
  }

  /**
   * Delivers an AudioBridge event the server made (a phone participant's `talking`) the way
   * Janus delivers its own: on the participant's roster handle, which the SDK listens on.
   */
  pushAudioBridgeEvent(data: Frame): void {
    const handle = this.#rosterHandle;
    const sessionId = handle === undefined ? undefined : this.#handles.get(handle)?.sessionId;
    if (handle === undefined || sessionId === undefined || this.#closed) {
      return;
    }
    this.#toClient(
      JSON.stringify({
        janus: 'event',
        session_id: sessionId,
        sender: handle,
        plugindata: { plugin: 'janus.plugin.audiobridge', data },
      }),
    );
  }

  #toClient(text: string): void {
    if (this.#client.readyState === WebSocket.OPEN) {
      this.#client.send(text);
    }
  }

  #shutdown(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    clearTimeout(this.#expiryTimer);
    clearTimeout(this.#removalTimer);
    this.#janusQueue.length = 0;
    if (this.#janus.readyState === WebSocket.OPEN) {
      this.#janus.close(1000);
    } else {
      this.#janus.terminate();
    }
    this.#unregistered();
    if (this.#participantId !== undefined) {
      this.#room?.release(this.#participantId, this);
    }
    this.#host.closed(this);
    this.#resolveEnded();
  }
}

function parseFrame(text: string): Frame {
  let value: unknown;
  try {
    // One object per frame: Janus would also run objects concatenated in one frame, which a
    // checked-then-forwarded proxy must not allow; JSON.parse refuses them.
    value = JSON.parse(text);
  } catch {
    throw GatewayRefusal.malformed('a frame must be one JSON object');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw GatewayRefusal.malformed('a frame must be one JSON object');
  }
  const frame = value as Frame;
  if (typeof frame.janus !== 'string' || typeof frame.transaction !== 'string') {
    throw GatewayRefusal.malformed('a request needs "janus" and "transaction" strings');
  }
  if (frame.transaction.length === 0 || frame.transaction.length > 64) {
    throw GatewayRefusal.malformed('transaction must be 1-64 characters');
  }
  return frame;
}

function pluginData(frame: Frame): Frame | undefined {
  const plugindata = frame.plugindata as { data?: unknown } | undefined;
  const data = plugindata?.data;
  return typeof data === 'object' && data !== null ? (data as Frame) : undefined;
}

function streamsOf(streams: unknown[]): StreamInfo[] {
  return streams
    .filter((s): s is Frame => typeof s === 'object' && s !== null)
    .filter((s) => typeof s.type === 'string' && typeof s.mid === 'string')
    .map((s) => ({ type: s.type as string, mid: s.mid as string }));
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) {
    return Buffer.concat(data).toString('utf8');
  }
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

/** What was asked, for the refusal log line: `message audiobridge create`, `attach`, … */
function describe(frame: Frame | undefined, handles: ReadonlyMap<number, HandleState>): string {
  if (frame === undefined || typeof frame.janus !== 'string') {
    return 'frame';
  }
  if (frame.janus !== 'message') {
    return frame.janus;
  }
  const plugin =
    typeof frame.handle_id === 'number' ? handles.get(frame.handle_id)?.plugin : undefined;
  const body = frame.body as { request?: unknown } | undefined;
  return `message ${plugin ?? '?'} ${typeof body?.request === 'string' ? body.request : '?'}`;
}

function janusErrorCode(status: number): number {
  switch (status) {
    case 400:
      return 454;
    case 401:
    case 403:
      return 403;
    default:
      return 490;
  }
}
