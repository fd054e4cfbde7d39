/// <reference lib="dom" />
// The SDK runs in browsers: its public types name DOM media types, wherever they are compiled.

/**
 * The public shapes of `@palaver/video`. Names, fields and callback arguments are those of
 * `@telnyx/video` 1.0.2, so an app ports by changing its import; additions are marked.
 */

/** How much the SDK logs to the console. Default: `'WARN'`. */
export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'TIME' | 'WARN' | 'ERROR' | 'OFF';

/** Why a room was disconnected (the `disconnected` event's first argument). */
export const DisconnectionReason = {
  USER_INITIATED: 'user_initiated',
  NETWORK_ERROR: 'network_error',
  TIMED_OUT: 'timed_out',
  UNAUTHORIZED: 'unauthorized',
  FORBIDDEN: 'forbidden',
  UNKNOWN: 'unknown',
  ROOM_EXPIRED: 'room_expired',
  KICKED: 'kicked',
  SESSION_TERMINATED: 'session_terminated',
} as const;

export type DisconnectionReason = (typeof DisconnectionReason)[keyof typeof DisconnectionReason];

/** A person (or a phone call) in the room. */
export interface Participant {
  readonly id: string;
  /** The app's own string given to `initialize({ context })`, e.g. JSON with a display name. */
  readonly context?: string;
  /** Stream ids by stream key (`'self'`, `'presentation'`, …). */
  readonly streams: { readonly [key: string]: string };
  readonly canReceiveMessages: boolean;
  /** `telephony_engine`: a caller bridged in by Palaver's phone bridge (audio only). */
  readonly origin: 'local' | 'remote' | 'telephony_engine';
  /**
   * Phone callers only (`origin: 'telephony_engine'`): a moderator muted the caller (REST mute),
   * so nobody hears them until unmuted. `track_censored` / `track_uncensored` with the key
   * `'audiobridge'` tell of each change. Undefined for everyone else, whose censorship is per
   * stream ({@link Stream.isAudioCensored}). Addition to `@telnyx/video`.
   */
  readonly isAudioCensored?: boolean;
}

/** A published stream: up to one audio and one video track under a key. */
export interface Stream {
  readonly id: string;
  readonly key: string;
  readonly participantId: string;
  readonly origin: 'local' | 'remote';
  readonly isAudioEnabled: boolean;
  readonly isVideoEnabled: boolean;
  /** A moderator muted this audio (REST mute). */
  readonly isAudioCensored: boolean;
  readonly isVideoCensored: boolean;
  /** Local: the published track. Remote: the received track once subscribed. */
  readonly audioTrack?: MediaStreamTrack;
  readonly videoTrack?: MediaStreamTrack;
  /** Local: published. Remote: subscribed and flowing. */
  readonly isConfigured: boolean;
}

/** The local participant's subscription to a remote stream. */
export interface Subscription {
  readonly id: string;
  readonly participantId: string;
  readonly key: string;
  readonly audio: boolean;
  readonly video: boolean;
}

/**
 * The room as the SDK knows it. Every change produces a new, frozen `State`; unchanged parts are
 * shared with the previous one, so `prev.participants === next.participants` means "unchanged".
 */
export interface State {
  readonly status: 'initialized' | 'connecting' | 'connected' | 'disconnected';
  readonly localParticipantId: string;
  readonly participants: ReadonlyMap<string, Participant>;
  /** Streams by stream id. */
  readonly streams: ReadonlyMap<string, Stream>;
  /** Subscriptions by participant id, then stream key. */
  readonly subscriptions: ReadonlyMap<string, ReadonlyMap<string, Subscription>>;
  /** Everyone else's audio, mixed by the server (phone callers included). */
  readonly mixedAudioTrack?: MediaStreamTrack;
}

/** A chat message (needs `enableMessages: true`). */
export interface Message {
  type: 'text';
  payload: string;
  /** Free-form app data sent along. */
  meta?: string;
}

/**
 * A key a phone caller pressed (`0`–`9`, `*`, `#`, `A`–`D`), posted to the room's chat by
 * Palaver's phone bridge from the caller's participant id. `@telnyx/video` delivers it too, as
 * this object, though its typings only name text messages.
 */
export interface DtmfMessage {
  type: 'dtmf';
  digit: string;
}

/** What `message_received` delivers: chat text, or a phone caller's key. */
export type ReceivedMessage = Message | DtmfMessage;

/** Quality levels of `network_metrics_report` (the numbers of `@telnyx/video`). */
export const ConnectionQualityLevel = {
  excellent_network: 5,
  good_network: 4,
  average_network: 3,
  below_average_network: 2,
  bad_network: 1,
  network_broken: 0,
} as const;

export type ConnectionQualityLevel =
  (typeof ConnectionQualityLevel)[keyof typeof ConnectionQualityLevel];

export type NetworkDirection = 'sending' | 'receiving' | 'inactive';

/** Per-stream detail of a participant's network metrics (with `includeStreams`). */
export interface StreamNetworkMetrics {
  audio: { direction: NetworkDirection; quality: ConnectionQualityLevel };
  video: { direction: NetworkDirection; quality: ConnectionQualityLevel };
}

/** The `network_metrics_report` payload: quality per participant. */
export interface NetworkMetrics {
  [participantId: string]: {
    connectionQuality: ConnectionQualityLevel;
    /** Keyed by stream key. */
    streams?: Map<string, StreamNetworkMetrics>;
  };
}

/** `getWebRTCStatsForStream`: the `RTCStatsReport` entries of a stream's senders and receivers. */
export interface WebRTCStats {
  senders: {
    audio?: { [reportId: string]: object };
    video?: { [reportId: string]: object };
  };
  receivers: {
    audio?: { [reportId: string]: object };
    video?: { [reportId: string]: object };
  };
}

/** Removes the listener `on()` added. */
export type Unsubscribe = () => void;

/** Options of a published stream's video. */
export interface PublishOptions {
  /**
   * Send three layers (full, half and quarter resolution) so that each subscriber can receive the
   * one that suits it (see {@link SubscriptionConfig.layer}). Default: `false`.
   */
  enableSimulcast?: boolean;
}

/** The tracks of `addStream` / `updateStream`. */
export interface StreamTracks {
  audio?: MediaStreamTrack;
  video?: MediaStreamTrack | { track?: MediaStreamTrack; options?: PublishOptions };
}

/**
 * A simulcast layer: `high` is the full resolution, `medium` half, `low` a quarter.
 * Addition to `@telnyx/video`.
 */
export type SimulcastLayer = 'high' | 'medium' | 'low';

/** What a subscription receives. */
export interface SubscriptionConfig {
  audio: boolean;
  video: boolean;
  /**
   * The simulcast layer to receive when the publisher sends simulcast; ignored otherwise.
   * Default: the highest the network allows. Addition to `@telnyx/video`.
   */
  layer?: SimulcastLayer;
}

/** How the room recovers from a network drop. Addition to `@telnyx/video`. */
export interface ReconnectOptions {
  /**
   * Attempts before giving up with `disconnected('network_error')`. Default: `16` (over a minute
   * with the default delays, longer than Palaver takes to notice a connection that vanished
   * without a word and free its participant id).
   */
  maxAttempts?: number;
  /** Wait before the first attempt, doubled for each next one. Default: `250` ms. */
  initialDelayMs?: number;
  /** Longest wait between attempts. Default: `5000` ms. */
  maxDelayMs?: number;
}

/** The options of {@link initialize}. */
export interface InitializeOptions {
  roomId: string;
  /** A client token from the REST API (`generate_join_client_token`). */
  clientToken: string;
  /** Any string the app wants the others to see, e.g. `JSON.stringify({ name })`. */
  context?: string;
  logLevel?: LogLevel;
  /** Join the room's chat (`sendMessage`, `message_received`). Default: `false`. */
  enableMessages?: boolean;
  /**
   * Palaver's base URL, e.g. `https://video.example.com`. `https:` becomes `wss:`, `http:` `ws:`.
   * Default: the page's origin. Addition to `@telnyx/video`.
   */
  server?: string;
  /**
   * Reconnect after a network drop, rejoining with the same participant id (`true`, the default,
   * or options), or end the room with `disconnected('network_error')` (`false`).
   * Addition to `@telnyx/video`.
   */
  reconnect?: boolean | ReconnectOptions;
}

/** A media device as `getDevices()` lists it. */
export interface DeviceInfo {
  label: string;
  id: string;
}

/** `getDevices()`: the browser's cameras, microphones and speakers. */
export interface Devices {
  audioinput: DeviceInfo[];
  videoinput: DeviceInfo[];
  audiooutput: DeviceInfo[];
}

/**
 * Room events and their callback arguments. Every event but `network_metrics_report` passes the
 * new `State` last. Participant, stream, track, subscription and message events fire only while
 * the room is `connected`; what existed before `connected` is in the state, without events.
 */
export interface Events {
  /** Any change of the state. */
  state_changed: (state: State) => void;
  /** `connect()` succeeded: registered, mixed audio flowing. */
  connected: (state: State) => void;
  /** The room ended (and will not reconnect). */
  disconnected: (reason: DisconnectionReason, state: State) => void;
  participant_joined: (participantId: Participant['id'], state: State) => void;
  /** A participant is about to leave (`'kicked'` when a moderator removed them). */
  participant_leaving: (
    participantId: Participant['id'],
    reason: 'kicked' | null,
    state: State,
  ) => void;
  participant_left: (participantId: Participant['id'], state: State) => void;
  stream_published: (participantId: Participant['id'], key: Stream['key'], state: State) => void;
  stream_unpublished: (participantId: Participant['id'], key: Stream['key'], state: State) => void;
  track_enabled: (
    participantId: Participant['id'],
    key: Stream['key'],
    kind: 'audio' | 'video',
    state: State,
  ) => void;
  track_disabled: (
    participantId: Participant['id'],
    key: Stream['key'],
    kind: 'audio' | 'video',
    state: State,
  ) => void;
  /**
   * A moderator muted this track. For a phone caller: `key` is `'audiobridge'` (the caller's
   * leg in the mix, which has no `Stream`) and `Participant.isAudioCensored` is `true`.
   */
  track_censored: (
    participantId: Participant['id'],
    key: Stream['key'],
    kind: 'audio' | 'video',
    state: State,
  ) => void;
  /** A moderator lifted the mute (for a phone caller, `key` is `'audiobridge'`). */
  track_uncensored: (
    participantId: Participant['id'],
    key: Stream['key'],
    kind: 'audio' | 'video',
    state: State,
  ) => void;
  /** Someone started talking: in the mixed audio (`key` null) or in a stream. */
  audio_activity: (
    participantId: Participant['id'],
    key: Stream['key'] | null,
    state: State,
  ) => void;
  /**
   * Whoever `audio_activity` named stopped talking (the server heard a second or so of quiet).
   * Nothing is heard from a microphone that was removed or muted, so this may not follow then.
   * Addition to `@telnyx/video`.
   */
  audio_activity_ended: (
    participantId: Participant['id'],
    key: Stream['key'] | null,
    state: State,
  ) => void;
  /** The subscription's tracks are in the state. Also fires again after a reconnection. */
  subscription_started: (
    participantId: Participant['id'],
    key: Stream['key'],
    state: State,
  ) => void;
  subscription_reconfigured: (
    participantId: Participant['id'],
    key: Stream['key'],
    state: State,
  ) => void;
  subscription_ended: (participantId: Participant['id'], key: Stream['key'], state: State) => void;
  /**
   * A chat message (`type: 'text'`), or a key a phone caller pressed (`type: 'dtmf'`, from the
   * caller's participant id, recipients `null`).
   */
  message_received: (
    participantId: Participant['id'],
    message: ReceivedMessage,
    recipients: Participant['id'][] | null,
    state: State,
  ) => void;
  network_metrics_report: (networkMetrics: NetworkMetrics) => void;
  /**
   * The connection to the server dropped; attempt `attempt` (from 1) to rejoin with the same
   * participant id is starting. The state's status is `connecting` until `reconnected` or
   * `disconnected`. Addition to `@telnyx/video`.
   */
  reconnecting: (attempt: number, reason: DisconnectionReason, state: State) => void;
  /**
   * Back in the room with the same participant id and local streams. Participants and streams
   * that came or went meanwhile have had their events; subscriptions have restarted with new
   * tracks (`subscription_started`), and `state.mixedAudioTrack` is a new track.
   * Addition to `@telnyx/video`.
   */
  reconnected: (state: State) => void;
}

/** Event names as constants, e.g. `room.on(RoomEvent.ParticipantJoined, …)`. Addition. */
export const RoomEvent = {
  StateChanged: 'state_changed',
  Connected: 'connected',
  Disconnected: 'disconnected',
  ParticipantJoined: 'participant_joined',
  ParticipantLeaving: 'participant_leaving',
  ParticipantLeft: 'participant_left',
  StreamPublished: 'stream_published',
  StreamUnpublished: 'stream_unpublished',
  TrackEnabled: 'track_enabled',
  TrackDisabled: 'track_disabled',
  TrackCensored: 'track_censored',
  TrackUncensored: 'track_uncensored',
  AudioActivity: 'audio_activity',
  AudioActivityEnded: 'audio_activity_ended',
  SubscriptionStarted: 'subscription_started',
  SubscriptionReconfigured: 'subscription_reconfigured',
  SubscriptionEnded: 'subscription_ended',
  MessageReceived: 'message_received',
  NetworkMetricsReport: 'network_metrics_report',
  Reconnecting: 'reconnecting',
  Reconnected: 'reconnected',
} as const satisfies Record<string, keyof Events>;
