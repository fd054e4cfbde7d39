import { isReconnectable } from './janus/closeReasons.js';
import { JanusSession } from './janus/JanusSession.js';
import type { Logger } from './Logger.js';
import type { MediaPlatform } from './media/MediaPlatform.js';
import { collectWebRTCStats } from './media/peerConnections.js';
import { NetworkMetricsReporter } from './managers/NetworkMetricsReporter.js';
import { qualityOf } from './managers/networkQuality.js';
import { PHONE_AUDIO_KEY } from './managers/ParticipantRoster.js';
import type { LocalTracks } from './managers/StreamManager.js';
import type { ConnectionEvents } from './RoomConnection.js';
import { RoomConnection } from './RoomConnection.js';
import { initialState } from './state/stateReducer.js';
import { StateStore } from './state/StateStore.js';
import { TypedEmitter } from './TypedEmitter.js';
import type {
  DisconnectionReason,
  Events,
  Message,
  Participant,
  PublishOptions,
  ReconnectOptions,
  SimulcastLayer,
  State,
  Stream,
  StreamTracks,
  SubscriptionConfig,
  Unsubscribe,
  WebRTCStats,
} from './types.js';
import { DisconnectionReason as Reason } from './types.js';
import { VideoError } from './VideoError.js';

/** `connect()` gives up after this long, as `@telnyx/video` does. */
const CONNECT_TIMEOUT_MS = 30_000;

/** What a room is made of; `initialize()` fills it in. */
export interface RoomOptions {
  roomId: string;
  /** `wss://<server>/<roomId>/janus`. */
  url: string;
  clientToken: string;
  participantId: string;
  context: string | undefined;
  enableMessages: boolean;
  reconnect: Required<ReconnectOptions> | false;
  platform: MediaPlatform;
  logger: Logger;
  /** Signalling timings; tests shorten them. */
  session?: {
    keepaliveIntervalMs?: number;
    keepaliveTimeoutMs?: number;
    requestTimeoutMs?: number;
  };
}

/**
 * A video room: what `initialize()` returns. Its methods and events are those of
 * `@telnyx/video` 1.0.2 (plus reconnection and simulcast layers); its state is a frozen
 * {@link State} that every change replaces.
 */
export class Room {
  readonly id: string;
  readonly #options: RoomOptions;
  readonly #logger: Logger;
  readonly #emitter: TypedEmitter<Events>;
  readonly #store: StateStore;
  readonly #metrics: NetworkMetricsReporter;
  /** Publish options per local stream key, to publish them again after a reconnection. */
  readonly #publishOptions = new Map<string, PublishOptions>();
  /** The simulcast layer chosen per subscription (`participantId/key`), kept for the same reason. */
  readonly #layers = new Map<string, SimulcastLayer>();
  #token: string;
  #session: JanusSession | undefined;
  #connection: RoomConnection | undefined;
  #reconnecting = false;
  #finished = false;
  #finishedPromise: Promise<void>;
  #resolveFinished: () => void = () => undefined;

  private constructor(options: RoomOptions) {
    this.id = options.roomId;
    this.#options = options;
    this.#logger = options.logger;
    this.#token = options.clientToken;
    this.#emitter = new TypedEmitter<Events>((error, event) =>
      this.#logger.error(`a "${String(event)}" listener threw`, error),
    );
    this.#store = new StateStore(
      initialState({
        id: options.participantId,
        context: options.context,
        streams: {},
        origin: 'local',
        canReceiveMessages: options.enableMessages,
      }),
      (state) => this.#emitter.emit('state_changed', state),
    );
    this.#metrics = new NetworkMetricsReporter({
      state: () => this.#store.state,
      peerConnections: (participantId) => this.#peerConnectionsOf(participantId),
      emit: (metrics) => {
        if (this.#store.state.status === 'connected') {
          this.#emitter.emit('network_metrics_report', metrics);
        }
      },
      logger: this.#logger.child('metrics'),
    });
    this.#finishedPromise = new Promise((resolve) => {
      this.#resolveFinished = resolve;
    });
  }

  /**
   * Creates the room and its signalling session (what `initialize()` awaits).
   *
   * @internal Apps call {@link initialize}.
   */
  static async open(options: RoomOptions): Promise<Room> {
    const room = new Room(options);
    room.#session = await room.#openSession();
    return room;
  }

  /** Adds a listener; the returned function removes it. */
  on<E extends keyof Events>(event: E, callback: Events[E]): Unsubscribe {
    return this.#emitter.on(event, callback);
  }

  /**
   * Joins the room: registers the local participant, listens for streams and sets up the mixed
   * audio. Resolves on `connected`; rejects (after `disconnected`) when that fails.
   */
  async connect(): Promise<void> {
    const session = this.#session;
    if (this.#finished || session === undefined || this.#store.state.status !== 'initialized') {
      throw VideoError.invalidState(
        `connect() needs a new room (status ${this.#store.state.status})`,
      );
    }
    this.#store.dispatch({ type: 'status_changed', payload: 'connecting' });
    const connection = this.#createConnection(session);
    const timer = setTimeout(() => this.#finish(Reason.TIMED_OUT), CONNECT_TIMEOUT_MS);
    try {
      await connection.establish();
    } catch (error) {
      this.#finish(reasonOfFailure(error));
      throw error;
    } finally {
      clearTimeout(timer);
    }
    if (this.#finished) {
      throw VideoError.connectionLost('the room was disconnected while connecting');
    }
    this.#store.dispatch({ type: 'status_changed', payload: 'connected' });
    this.#emitter.emit('connected', this.#store.state);
  }

  /** Leaves the room; resolves after `disconnected('user_initiated')`. Idempotent. */
  async disconnect(): Promise<void> {
    this.#finish(Reason.USER_INITIATED);
    await this.#finishedPromise;
  }

  /** Uses a fresh client token from now on (and for reconnections). */
  async updateClientToken(clientToken: string): Promise<void> {
    if (typeof clientToken !== 'string' || clientToken === '') {
      throw VideoError.invalidArgument('updateClientToken needs a token');
    }
    this.#token = clientToken;
    const session = this.#session;
    if (session !== undefined && !session.finished) {
      await session.updateClientToken(clientToken);
    }
  }

  getState(): State {
    return this.#store.state;
  }

  getLocalParticipant(): Participant {
    const state = this.#store.state;
    const local = state.participants.get(state.localParticipantId);
    if (local === undefined) {
      throw VideoError.invalidState('no local participant');
    }
    return local;
  }

  getLocalStreams(): { [key: string]: Stream } {
    return Object.fromEntries(this.getParticipantStreams(this.#store.state.localParticipantId));
  }

  /**
   * Publishes a stream under `key` (`'self'` for camera and microphone, `'presentation'` for a
   * screen): `video` may carry `{ track, options: { enableSimulcast: true } }`.
   */
  async addStream(key: string, tracks?: StreamTracks): Promise<void> {
    const { local, options } = unwrapTracks(tracks);
    await this.#requireConnection().streams.publish(key, local, options);
    this.#publishOptions.set(key, options);
  }

  /** Replaces the tracks of a published stream (`undefined` for none). */
  async updateStream(key: string, tracks?: StreamTracks): Promise<void> {
    const { local } = unwrapTracks(tracks);
    await this.#requireConnection().streams.update(key, local);
  }

  async removeStream(key: string): Promise<void> {
    await this.#requireConnection().streams.unpublish(key);
    this.#publishOptions.delete(key);
  }

  /** Receives a remote stream; its tracks appear in the state, then `subscription_started`. */
  async addSubscription(
    participantId: string,
    key: string,
    config: SubscriptionConfig,
  ): Promise<void> {
    checkConfig(config);
    await this.#requireConnection().subscriptions.subscribe(participantId, key, config);
    this.#rememberLayer(participantId, key, config.layer);
  }

  /** Changes what a subscription receives (and, as an addition, its simulcast layer). */
  async updateSubscription(
    participantId: string,
    key: string,
    config: SubscriptionConfig,
  ): Promise<void> {
    checkConfig(config);
    await this.#requireConnection().subscriptions.reconfigure(participantId, key, config);
    this.#rememberLayer(participantId, key, config.layer);
  }

  async removeSubscription(participantId: string, key: string): Promise<void> {
    await this.#requireConnection().subscriptions.unsubscribe(participantId, key);
    this.#rememberLayer(participantId, key, undefined);
  }

  #rememberLayer(participantId: string, key: string, layer: SimulcastLayer | undefined): void {
    if (layer === undefined) {
      this.#layers.delete(`${participantId}/${key}`);
    } else {
      this.#layers.set(`${participantId}/${key}`, layer);
    }
  }

  /** The streams of a participant by key. */
  getParticipantStreams(participantId: string): Map<string, Stream> {
    const state = this.#store.state;
    const participant = state.participants.get(participantId);
    if (participant === undefined) {
      throw VideoError.invalidArgument(`no participant exists with the id ${participantId}`);
    }
    const streams = new Map<string, Stream>();
    for (const [key, id] of Object.entries(participant.streams)) {
      const stream = state.streams.get(id);
      if (stream !== undefined) {
        streams.set(key, stream);
      }
    }
    return streams;
  }

  getParticipantStream(participantId: string, key: string): Stream | undefined {
    return this.getParticipantStreams(participantId).get(key);
  }

  /** The WebRTC stats of a local stream's sending or a subscription's receiving side. */
  async getWebRTCStatsForStream(participantId: string, key: string): Promise<WebRTCStats> {
    const connection = this.#requireConnection();
    if (participantId === this.#store.state.localParticipantId) {
      const publisher = connection.streams.localPublisher(key);
      if (publisher === undefined) {
        throw VideoError.invalidState(`no stream published with the key ${key}`);
      }
      return collectWebRTCStats(publisher.peerConnection);
    }
    const subscriber = connection.subscriptions.subscriber(participantId, key);
    return subscriber === undefined
      ? { senders: {}, receivers: {} }
      : collectWebRTCStats(subscriber.peerConnection);
  }

  /** Sends a chat message to everyone, or to `recipients` only (needs `enableMessages`). */
  async sendMessage(message: Message, recipients?: string[]): Promise<void> {
    if (
      typeof message !== 'object' ||
      message === null ||
      message.type !== 'text' ||
      typeof message.payload !== 'string'
    ) {
      throw VideoError.invalidArgument('a message needs type "text" and a string payload');
    }
    const messages = this.#requireConnection().messages;
    if (messages === undefined) {
      throw VideoError.invalidState('messages are off: initialize with enableMessages: true');
    }
    await messages.send(message, recipients);
  }

  /** Starts `network_metrics_report` events (every 5 s) for these participants. */
  async enableNetworkMetricsReport(
    participantIds: string[],
    options?: { includeStreams?: boolean },
  ): Promise<void> {
    if (!Array.isArray(participantIds)) {
      throw VideoError.invalidArgument('participantIds must be an array');
    }
    await Promise.resolve();
    this.#metrics.enable(participantIds, options?.includeStreams === true);
  }

  /** Stops the reports for these participants, or for everyone. */
  async disableNetworkMetricsReport(participantIds?: string[]): Promise<void> {
    await Promise.resolve();
    this.#metrics.disable(participantIds);
  }

  // ------------------------------------------------------------------------------ internals

  #openSession(): Promise<JanusSession> {
    return JanusSession.open(
      {
        url: this.#options.url,
        clientToken: this.#token,
        socketFactory: this.#options.platform.openSocket,
        logger: this.#logger.child('session'),
        ...this.#options.session,
      },
      {
        closed: (reason, session) => this.#onSessionClosed(session, reason),
        keepalive: (rttMs) => {
          this.#metrics.localQuality = qualityOf(0, rttMs);
        },
      },
    );
  }

  #createConnection(session: JanusSession): RoomConnection {
    this.#connection?.close();
    const connection = new RoomConnection({
      session,
      store: this.#store,
      platform: this.#options.platform,
      logger: this.#logger,
      roomId: this.id,
      enableMessages: this.#options.enableMessages,
      events: this.#connectionEvents(),
    });
    this.#connection = connection;
    return connection;
  }

  #requireConnection(): RoomConnection {
    const connection = this.#connection;
    if (connection === undefined || this.#store.state.status !== 'connected') {
      throw VideoError.invalidState(
        `the room is not connected (status ${this.#store.state.status})`,
      );
    }
    return connection;
  }

  /** Room events fire only while connected, as in `@telnyx/video`. */
  #emitConnected<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    if (this.#store.state.status === 'connected') {
      this.#emitter.emit(event, ...args);
    }
  }

  #connectionEvents(): ConnectionEvents {
    const state = (): State => this.#store.state;
    return {
      participantJoined: (id) => this.#emitConnected('participant_joined', id, state()),
      participantLeaving: (id, reason) =>
        this.#emitConnected('participant_leaving', id, reason, state()),
      participantLeft: (id) => {
        this.#metrics.disable([id]);
        this.#emitConnected('participant_left', id, state());
      },
      audioActivity: (id, key, talking) =>
        this.#emitConnected(talking ? 'audio_activity' : 'audio_activity_ended', id, key, state()),
      streamPublished: (id, key) => this.#emitConnected('stream_published', id, key, state()),
      streamUnpublished: (id, key) => this.#emitConnected('stream_unpublished', id, key, state()),
      track: (event, id, key, kind) => this.#emitConnected(event, id, key, kind, state()),
      subscriptionStarted: (id, key) =>
        this.#emitConnected('subscription_started', id, key, state()),
      subscriptionReconfigured: (id, key) =>
        this.#emitConnected('subscription_reconfigured', id, key, state()),
      subscriptionEnded: (id, key) => this.#emitConnected('subscription_ended', id, key, state()),
      messageReceived: (id, message, recipients) =>
        this.#emitConnected('message_received', id, message, recipients, state()),
      mediaFailed: () => {
        if (this.#store.state.status === 'connected') {
          // Rejoining restarts every PeerConnection; the session goes first.
          this.#logger.warn('a media connection failed: rejoining');
          this.#session?.destroy(Reason.NETWORK_ERROR);
        }
      },
      localRemoved: (reason) => {
        const local = state().localParticipantId;
        this.#emitConnected('participant_leaving', local, reason, state());
        this.#finish(reason === 'kicked' ? Reason.KICKED : Reason.UNKNOWN);
      },
    };
  }

  #onSessionClosed(session: JanusSession, reason: DisconnectionReason): void {
    if (session !== this.#session || this.#finished || this.#reconnecting) {
      // An old session, or an attempt of the reconnection loop, which carries on by itself.
      return;
    }
    const status = this.#store.state.status;
    if (status === 'connected' && this.#options.reconnect !== false && isReconnectable(reason)) {
      void this.#reconnect(reason);
      return;
    }
    this.#finish(reason);
  }

  /**
   * Rejoins after a network drop: a new session, the same participant id, the local streams
   * published again and the subscriptions restarted; then the events of what changed meanwhile.
   */
  async #reconnect(reason: DisconnectionReason): Promise<void> {
    const policy = this.#options.reconnect;
    if (policy === false) {
      return;
    }
    this.#reconnecting = true;
    const before = this.#store.state;
    const publishOptions = new Map(this.#publishOptions);
    this.#connection?.close();
    this.#connection = undefined;
    this.#store.dispatch({ type: 'status_changed', payload: 'connecting' });
    this.#store.dispatch({ type: 'drop_remote' });
    let delay = policy.initialDelayMs;
    for (let attempt = 1; attempt <= policy.maxAttempts; attempt += 1) {
      if (this.#finished) {
        return;
      }
      this.#emitter.emit('reconnecting', attempt, reason, this.#store.state);
      await sleep(delay);
      delay = Math.min(delay * 2, policy.maxDelayMs);
      if (this.#finished) {
        return;
      }
      this.#store.dispatch({ type: 'drop_remote' });
      let connection: RoomConnection | undefined;
      try {
        this.#session = await this.#openSession();
        connection = this.#createConnection(this.#session);
        await connection.establish({
          publishOptions,
          subscriptions: [...before.subscriptions.values()].flatMap((byKey) =>
            [...byKey.values()].map((subscription) => ({
              ...subscription,
              layer: this.#layers.get(`${subscription.participantId}/${subscription.key}`),
            })),
          ),
        });
        if (this.#finished) {
          return;
        }
        this.#reconnecting = false;
        this.#store.dispatch({ type: 'status_changed', payload: 'connected' });
        this.#announceChanges(before);
        this.#emitter.emit('reconnected', this.#store.state);
        if (this.#session.finished) {
          // It dropped again right away; the closed callback saw #reconnecting and left it to us.
          void this.#reconnect(Reason.NETWORK_ERROR);
        }
        return;
      } catch (error) {
        connection?.close();
        this.#connection = undefined;
        this.#session?.abort(Reason.NETWORK_ERROR);
        const failure = reasonOfFailure(error);
        this.#logger.warn(`reconnection attempt ${attempt} failed (${failure})`, error);
        // A refused token or a refused participant (kicked, or the room is full) stays refused.
        if (failure === Reason.UNAUTHORIZED || failure === Reason.FORBIDDEN) {
          this.#reconnecting = false;
          this.#finish(failure);
          return;
        }
      }
    }
    this.#reconnecting = false;
    this.#finish(Reason.NETWORK_ERROR);
  }

  /** After a reconnection: the events of what came and went while the room was away. */
  #announceChanges(before: State): void {
    const now = this.#store.state;
    const streamKeys = (state: State): Set<string> =>
      new Set(
        [...state.streams.values()]
          .filter((stream) => stream.origin === 'remote')
          .map((stream) => `${stream.participantId}\u0000${stream.key}`),
      );
    const beforeStreams = streamKeys(before);
    const nowStreams = streamKeys(now);
    for (const [participantId, byKey] of before.subscriptions) {
      for (const key of byKey.keys()) {
        if (now.subscriptions.get(participantId)?.has(key) !== true) {
          this.#emitter.emit('subscription_ended', participantId, key, now);
        }
      }
    }
    for (const stream of before.streams.values()) {
      if (
        stream.origin === 'remote' &&
        !nowStreams.has(`${stream.participantId}\u0000${stream.key}`)
      ) {
        this.#emitter.emit('stream_unpublished', stream.participantId, stream.key, now);
      }
    }
    for (const id of before.participants.keys()) {
      if (id !== now.localParticipantId && !now.participants.has(id)) {
        this.#emitter.emit('participant_leaving', id, null, now);
        this.#emitter.emit('participant_left', id, now);
      }
    }
    for (const participant of now.participants.values()) {
      const earlier = before.participants.get(participant.id);
      if (participant.id !== now.localParticipantId && earlier === undefined) {
        this.#emitter.emit('participant_joined', participant.id, now);
      } else if (
        participant.origin === 'telephony_engine' &&
        earlier?.isAudioCensored !== participant.isAudioCensored
      ) {
        // A phone caller muted or unmuted by a moderator while we were away.
        const event = participant.isAudioCensored === true ? 'track_censored' : 'track_uncensored';
        this.#emitter.emit(event, participant.id, PHONE_AUDIO_KEY, 'audio', now);
      }
    }
    for (const stream of now.streams.values()) {
      if (
        stream.origin === 'remote' &&
        !beforeStreams.has(`${stream.participantId}\u0000${stream.key}`)
      ) {
        this.#emitter.emit('stream_published', stream.participantId, stream.key, now);
      }
    }
    for (const [participantId, byKey] of now.subscriptions) {
      for (const key of byKey.keys()) {
        this.#emitter.emit('subscription_started', participantId, key, now);
      }
    }
  }

  /**
   * The end: closes the session and every PeerConnection, then `state_changed` (disconnected),
   * the cleanup to the local participant alone, and `disconnected(reason)`. Idempotent.
   */
  #finish(reason: DisconnectionReason): void {
    if (this.#finished) {
      return;
    }
    this.#finished = true;
    this.#metrics.close();
    // The session first: Janus then drops every handle with it, so no detach is needed.
    this.#session?.destroy(reason);
    this.#connection?.close();
    this.#store.dispatch({ type: 'status_changed', payload: 'disconnected' });
    this.#store.replaceQuietly({ type: 'reset', payload: { status: 'disconnected' } });
    this.#logger.info(`disconnected: ${reason}`);
    this.#emitter.emit('disconnected', reason, this.#store.state);
    this.#resolveFinished();
  }

  #peerConnectionsOf(participantId: string): Map<string, RTCPeerConnection> {
    const connections = new Map<string, RTCPeerConnection>();
    const connection = this.#connection;
    const participant = this.#store.state.participants.get(participantId);
    if (connection === undefined || participant === undefined) {
      return connections;
    }
    for (const key of Object.keys(participant.streams)) {
      const pc =
        participantId === this.#store.state.localParticipantId
          ? connection.streams.localPublisher(key)?.peerConnection
          : connection.subscriptions.subscriber(participantId, key)?.peerConnection;
      if (pc !== undefined) {
        connections.set(key, pc);
      }
    }
    return connections;
  }
}

/** Splits `addStream`'s tracks into the tracks and the video options. */
function unwrapTracks(tracks: StreamTracks | undefined): {
  local: LocalTracks;
  options: PublishOptions;
} {
  const video = tracks?.video;
  if (video !== undefined && !isTrack(video)) {
    return { local: { audio: tracks?.audio, video: video.track }, options: { ...video.options } };
  }
  return { local: { audio: tracks?.audio, video }, options: {} };
}

function isTrack(value: unknown): value is MediaStreamTrack {
  return typeof value === 'object' && value !== null && 'kind' in value && 'enabled' in value;
}

function checkConfig(config: SubscriptionConfig): void {
  if (
    typeof config !== 'object' ||
    config === null ||
    typeof config.audio !== 'boolean' ||
    typeof config.video !== 'boolean'
  ) {
    throw VideoError.invalidArgument('a subscription needs { audio: boolean, video: boolean }');
  }
  if (config.layer !== undefined && !['high', 'medium', 'low'].includes(config.layer)) {
    throw VideoError.invalidArgument(`unknown simulcast layer ${String(config.layer)}`);
  }
}

/** The reason a failed connection attempt ends the room with. */
function reasonOfFailure(error: unknown): DisconnectionReason {
  if (error instanceof VideoError) {
    switch (error.code) {
      case 'unauthorized':
        return Reason.UNAUTHORIZED;
      case 'forbidden':
        return Reason.FORBIDDEN;
      case 'timed_out':
        return Reason.TIMED_OUT;
    }
  }
  return Reason.NETWORK_ERROR;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
