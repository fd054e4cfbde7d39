import type { JanusSession } from '../janus/JanusSession.js';
import type { Logger } from '../Logger.js';
import { uuid } from '../ids.js';
import type { MediaPlatform } from '../media/MediaPlatform.js';
import type { StateStore } from '../state/StateStore.js';
import type { State, Stream, SubscriptionConfig } from '../types.js';
import { VideoError } from '../VideoError.js';
import type { StreamManager } from './StreamManager.js';
import { Subscriber } from './Subscriber.js';

export interface SubscriptionCallbacks {
  started: (participantId: string, key: string) => void;
  reconfigured: (participantId: string, key: string) => void;
  ended: (participantId: string, key: string) => void;
}

export interface SubscriptionManagerOptions {
  session: JanusSession;
  store: StateStore;
  platform: MediaPlatform;
  logger: Logger;
  roomId: string;
  streams: StreamManager;
  callbacks: SubscriptionCallbacks;
}

/** The local participant's subscriptions to remote streams, one {@link Subscriber} each. */
export class SubscriptionManager {
  readonly #session: JanusSession;
  readonly #store: StateStore;
  readonly #platform: MediaPlatform;
  readonly #logger: Logger;
  readonly #roomId: string;
  readonly #streams: StreamManager;
  readonly #callbacks: SubscriptionCallbacks;
  readonly #subscribers = new Map<string, Subscriber>();
  readonly #pending = new Set<string>();
  #closed = false;

  constructor(options: SubscriptionManagerOptions) {
    this.#session = options.session;
    this.#store = options.store;
    this.#platform = options.platform;
    this.#logger = options.logger;
    this.#roomId = options.roomId;
    this.#streams = options.streams;
    this.#callbacks = options.callbacks;
  }

  /** The subscriber of a subscription, for stats. */
  subscriber(participantId: string, key: string): Subscriber | undefined {
    return this.#subscribers.get(slot(participantId, key));
  }

  /** Subscribes to a remote stream; `announce: false` during a reconnection. */
  async subscribe(
    participantId: string,
    key: string,
    config: SubscriptionConfig,
    announce = true,
  ): Promise<void> {
    const stream = remoteStream(this.#store.state, participantId, key);
    const id = slot(participantId, key);
    if (this.#subscribers.has(id) || this.#pending.has(id)) {
      throw VideoError.invalidState(`already subscribed to ${key} of ${participantId}`);
    }
    const feedId = this.#streams.publisherIdOf(stream.id);
    if (feedId === undefined) {
      throw VideoError.invalidState(`no publisher for the stream ${key} of ${participantId}`);
    }
    this.#pending.add(id);
    let subscriber: Subscriber;
    try {
      subscriber = await Subscriber.start({
        session: this.#session,
        platform: this.#platform,
        logger: this.#logger.child('subscriber'),
        roomId: this.#roomId,
        feedId,
        config,
        onTrack: (track) => {
          if (
            this.#store.state.streams.has(stream.id) &&
            (track.kind === 'audio' || track.kind === 'video')
          ) {
            const props = track.kind === 'audio' ? { audioTrack: track } : { videoTrack: track };
            this.#store.dispatch({ type: 'update_stream', payload: { id: stream.id, props } });
          }
        },
      });
    } finally {
      this.#pending.delete(id);
    }
    if (this.#closed || !this.#store.state.streams.has(stream.id)) {
      // The stream (or the room) went while we subscribed.
      void subscriber.close();
      throw VideoError.invalidState(`the stream ${key} of ${participantId} is gone`);
    }
    this.#subscribers.set(id, subscriber);
    this.#store.dispatch({
      type: 'add_subscription',
      payload: { id: uuid(), participantId, key, audio: config.audio, video: config.video },
    });
    this.#store.dispatch({
      type: 'update_stream',
      payload: { id: stream.id, props: { isConfigured: true } },
    });
    if (announce) {
      this.#callbacks.started(participantId, key);
    }
  }

  /** Changes what a subscription receives. */
  async reconfigure(participantId: string, key: string, config: SubscriptionConfig): Promise<void> {
    const stream = remoteStream(this.#store.state, participantId, key);
    const subscriber = this.#subscribers.get(slot(participantId, key));
    if (subscriber === undefined) {
      throw VideoError.invalidState(`not subscribed to ${key} of ${participantId}`);
    }
    this.#store.dispatch({
      type: 'update_subscription',
      payload: { participantId, key, props: { audio: config.audio, video: config.video } },
    });
    this.#store.dispatch({
      type: 'update_stream',
      payload: { id: stream.id, props: { isConfigured: false } },
    });
    await subscriber.configure(config);
    if (this.#store.state.streams.has(stream.id)) {
      this.#store.dispatch({
        type: 'update_stream',
        payload: { id: stream.id, props: { isConfigured: true } },
      });
    }
    this.#callbacks.reconfigured(participantId, key);
  }

  /** Ends a subscription; `required: false` for one that may not exist (its stream went). */
  async unsubscribe(participantId: string, key: string, required = true): Promise<void> {
    const id = slot(participantId, key);
    const subscriber = this.#subscribers.get(id);
    if (subscriber === undefined) {
      if (required) {
        throw VideoError.invalidState(`not subscribed to ${key} of ${participantId}`);
      }
      return;
    }
    this.#subscribers.delete(id);
    await subscriber.close();
    this.#store.dispatch({ type: 'remove_subscription', payload: { participantId, key } });
    const streamId = this.#store.state.participants.get(participantId)?.streams[key];
    if (streamId !== undefined && this.#store.state.streams.has(streamId)) {
      this.#store.dispatch({
        type: 'update_stream',
        payload: {
          id: streamId,
          props: { isConfigured: false, audioTrack: undefined, videoTrack: undefined },
        },
      });
    }
    this.#callbacks.ended(participantId, key);
  }

  /** Closes every subscription's PeerConnection. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const subscriber of this.#subscribers.values()) {
      void subscriber.close();
    }
    this.#subscribers.clear();
  }
}

function slot(participantId: string, key: string): string {
  return `${participantId}\u0000${key}`;
}

/** The remote stream `key` of a participant; throws for unknown participants and keys. */
export function remoteStream(state: State, participantId: string, key: string): Stream {
  const participant = state.participants.get(participantId);
  if (participant === undefined) {
    throw VideoError.invalidArgument(`no participant exists with the id ${participantId}`);
  }
  const streamId = participant.streams[key];
  const stream = streamId === undefined ? undefined : state.streams.get(streamId);
  if (stream === undefined) {
    throw VideoError.invalidState(
      `no stream with the key ${key} for the participant ${participantId}`,
    );
  }
  return stream;
}
