import type { JanusSession } from './janus/JanusSession.js';
import type { Logger } from './Logger.js';
import type { AudioMix, MediaPlatform } from './media/MediaPlatform.js';
import { AudioMixerLeg } from './managers/AudioMixerLeg.js';
import { MessageChannel } from './managers/MessageChannel.js';
import { PHONE_AUDIO_KEY, ParticipantRoster } from './managers/ParticipantRoster.js';
import type { TrackEvent } from './managers/StreamManager.js';
import { StreamManager } from './managers/StreamManager.js';
import { SubscriptionManager } from './managers/SubscriptionManager.js';
import type { StateStore } from './state/StateStore.js';
import type { PublishOptions, ReceivedMessage, SimulcastLayer, Subscription } from './types.js';
import { VideoError } from './VideoError.js';

/** How long a participant who left may keep streams before they are removed for it. */
const LEAVE_GRACE_MS = 5_000;
/** How long `connect()` waits for the mixed audio after the mixer answered. */
const MIXED_AUDIO_WAIT_MS = 20_000;

/** What happens in the room, as the connection hears it; the room decides what to emit. */
export interface ConnectionEvents {
  participantJoined: (participantId: string) => void;
  participantLeaving: (participantId: string, reason: 'kicked' | null) => void;
  participantLeft: (participantId: string) => void;
  audioActivity: (participantId: string, key: string | null, talking: boolean) => void;
  streamPublished: (participantId: string, key: string) => void;
  streamUnpublished: (participantId: string, key: string) => void;
  track: (event: TrackEvent, participantId: string, key: string, kind: 'audio' | 'video') => void;
  subscriptionStarted: (participantId: string, key: string) => void;
  subscriptionReconfigured: (participantId: string, key: string) => void;
  subscriptionEnded: (participantId: string, key: string) => void;
  messageReceived: (
    participantId: string,
    message: ReceivedMessage,
    recipients: string[] | null,
  ) => void;
  /** The server removed the local participant (kicked) or its registration ended. */
  localRemoved: (reason: 'kicked' | null) => void;
  /** A PeerConnection failed (ICE gave up): the media path is gone though signalling may live. */
  mediaFailed: () => void;
}

export interface RoomConnectionOptions {
  session: JanusSession;
  store: StateStore;
  platform: MediaPlatform;
  logger: Logger;
  roomId: string;
  enableMessages: boolean;
  events: ConnectionEvents;
}

/** What to bring back after a reconnection. */
export interface Restore {
  publishOptions: ReadonlyMap<string, PublishOptions>;
  /** The subscriptions to start again, with the simulcast layer each had chosen. */
  subscriptions: readonly (Subscription & { layer: SimulcastLayer | undefined })[];
}

/**
 * One Janus session and everything on it: the roster, the stream listener and local
 * publishers, subscriptions, the mixer leg and the chat. A reconnection replaces the whole
 * connection; the room and its state outlive it.
 */
export class RoomConnection {
  readonly session: JanusSession;
  readonly roster: ParticipantRoster;
  readonly streams: StreamManager;
  readonly subscriptions: SubscriptionManager;
  #mixer: AudioMixerLeg | undefined;
  #messages: MessageChannel | undefined;
  #localMix: AudioMix | undefined;
  #closed = false;
  readonly #options: RoomConnectionOptions;

  constructor(options: RoomConnectionOptions) {
    const { session, store, logger, roomId, events } = options;
    // Every PeerConnection of this connection reports its failure.
    const platform: MediaPlatform = {
      ...options.platform,
      createPeerConnection: () => {
        const pc = options.platform.createPeerConnection();
        pc.addEventListener('connectionstatechange', () => {
          if (pc.connectionState === 'failed' && !this.#closed) {
            events.mediaFailed();
          }
        });
        return pc;
      },
    };
    this.#options = { ...options, platform };
    this.session = session;
    this.streams = new StreamManager({
      session,
      store,
      platform,
      logger: logger.child('streams'),
      roomId,
      callbacks: {
        published: events.streamPublished,
        unpublishing: (participantId, key) =>
          this.subscriptions.unsubscribe(participantId, key, false).catch((error: unknown) => {
            logger.debug('ending a subscription failed', error);
          }),
        unpublished: events.streamUnpublished,
        track: events.track,
        talking: (participantId, key, talking) => events.audioActivity(participantId, key, talking),
        localAudioChanged: () => this.#feedMixer(),
      },
    });
    this.subscriptions = new SubscriptionManager({
      session,
      store,
      platform,
      logger: logger.child('subscriptions'),
      roomId,
      streams: this.streams,
      callbacks: {
        started: events.subscriptionStarted,
        reconfigured: events.subscriptionReconfigured,
        ended: events.subscriptionEnded,
      },
    });
    this.roster = new ParticipantRoster({
      session,
      store,
      logger: logger.child('roster'),
      roomId,
      callbacks: {
        joined: events.participantJoined,
        leaving: events.participantLeaving,
        streamsGone: async (participantId) => {
          // The streams it had when it left (a quick rejoin may bring new ones meanwhile).
          const streamIds = Object.values(
            store.state.participants.get(participantId)?.streams ?? {},
          );
          const gone = await store.waitFor(
            (state) => streamIds.every((id) => !state.streams.has(id)),
            LEAVE_GRACE_MS,
          );
          if (!gone) {
            await this.streams.removeRemoteStreams(streamIds);
          }
        },
        left: events.participantLeft,
        localRemoved: events.localRemoved,
        talking: (participantId, talking) => events.audioActivity(participantId, null, talking),
        callerCensored: (participantId, censored) =>
          events.track(
            censored ? 'track_censored' : 'track_uncensored',
            participantId,
            PHONE_AUDIO_KEY,
            'audio',
          ),
      },
    });
  }

  /** The chat, when the room was initialized with `enableMessages`. */
  get messages(): MessageChannel | undefined {
    return this.#messages;
  }

  get mixer(): AudioMixerLeg | undefined {
    return this.#mixer;
  }

  /**
   * Registers and sets up the media, in the order of `@telnyx/video`: chat, roster, stream
   * listener, mixer. With `restore`, publishes the local streams again and resubscribes.
   * Resolves once the mixed audio arrived.
   */
  async establish(restore?: Restore): Promise<void> {
    const { session, store, platform, logger, roomId, events } = this.#options;
    const participantId = store.state.localParticipantId;
    if (this.#options.enableMessages) {
      this.#messages = await MessageChannel.open({
        session,
        platform,
        logger: logger.child('messages'),
        roomId,
        participantId,
        onMessage: events.messageReceived,
      });
    }
    await this.roster.register();
    await this.streams.listen();
    this.#mixer = await AudioMixerLeg.open({
      session,
      platform,
      logger: logger.child('mixer'),
      roomId,
      participantId,
      localAudio: this.#localAudio(),
      onMixedAudio: (track) => store.dispatch({ type: 'update_mixed_audio_track', payload: track }),
    });
    if (restore !== undefined) {
      await this.streams.republish(restore.publishOptions);
      await Promise.all(
        restore.subscriptions.map(async ({ participantId: remote, key, audio, video, layer }) => {
          const streamId = store.state.participants.get(remote)?.streams[key];
          if (streamId === undefined) {
            return;
          }
          await this.subscriptions
            .subscribe(remote, key, { audio, video, ...(layer ? { layer } : {}) }, false)
            .catch((error: unknown) => {
              logger.warn(`could not subscribe again to ${key} of ${remote}`, error);
            });
        }),
      );
    }
    const flowing = await store.waitFor(
      (state) => state.mixedAudioTrack !== undefined,
      MIXED_AUDIO_WAIT_MS,
    );
    if (!flowing) {
      throw VideoError.timedOut('no mixed audio from the server');
    }
  }

  /** The uncensored audio of all local streams, mixed when there are several. */
  #localAudio(): MediaStreamTrack | undefined {
    const { store, platform } = this.#options;
    const state = store.state;
    const tracks = [...state.streams.values()]
      .filter((s) => s.participantId === state.localParticipantId && !s.isAudioCensored)
      .flatMap((s) => (s.audioTrack === undefined ? [] : [s.audioTrack]));
    this.#localMix?.close();
    this.#localMix = undefined;
    if (tracks.length <= 1) {
      return tracks[0];
    }
    this.#localMix = platform.mixAudio(tracks);
    return this.#localMix.track;
  }

  #feedMixer(): void {
    if (this.#mixer === undefined || this.#closed) {
      return;
    }
    this.#mixer.setLocalAudio(this.#localAudio()).catch((error: unknown) => {
      this.#options.logger.warn('could not update the audio sent to the mix', error);
    });
  }

  /** Closes every PeerConnection and handle of this connection. Idempotent. */
  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.subscriptions.close();
    this.streams.close();
    this.roster.close();
    this.#mixer?.close();
    this.#messages?.close();
    this.#localMix?.close();
  }
}
