import { decodeDisplay, encodeDisplay } from '../janus/display.js';
import type { JanusSession } from '../janus/JanusSession.js';
import type { JanusFrame, PluginData } from '../janus/janusFrames.js';
import { JanusPlugin, idField, listField } from '../janus/janusFrames.js';
import type { Logger } from '../Logger.js';
import { uuid } from '../ids.js';
import type { MediaPlatform } from '../media/MediaPlatform.js';
import type { StateStore } from '../state/StateStore.js';
import type { PublishOptions, State, Stream } from '../types.js';
import { VideoError } from '../VideoError.js';
import { Publisher } from './Publisher.js';

/** How long a publisher may wait for its participant to appear in the roster. */
const PARTICIPANT_WAIT_MS = 5_000;

export type TrackEvent = 'track_enabled' | 'track_disabled' | 'track_censored' | 'track_uncensored';

export interface StreamCallbacks {
  published: (participantId: string, key: string) => void;
  /** A remote stream is going: the room ends its subscription first. */
  unpublishing: (participantId: string, key: string) => Promise<void>;
  unpublished: (participantId: string, key: string) => void;
  track: (event: TrackEvent, participantId: string, key: string, kind: 'audio' | 'video') => void;
  /** A stream's audio started (`true`) or stopped (`false`) talking. */
  talking: (participantId: string, key: string, talking: boolean) => void;
  /** The local audio to mix changed (a stream came or went, a track changed, censorship). */
  localAudioChanged: () => void;
}

export interface StreamManagerOptions {
  session: JanusSession;
  store: StateStore;
  platform: MediaPlatform;
  logger: Logger;
  roomId: string;
  callbacks: StreamCallbacks;
}

/** Tracks as `addStream` / `updateStream` take them, after unwrapping the video options. */
export interface LocalTracks {
  audio?: MediaStreamTrack | undefined;
  video?: MediaStreamTrack | undefined;
}

/**
 * Streams in the VideoRoom. A listener handle (a publisher that never publishes) hears others
 * publish, unpublish, change their display, be moderated and talk; each local stream is a
 * {@link Publisher} of its own.
 */
export class StreamManager {
  readonly #session: JanusSession;
  readonly #store: StateStore;
  readonly #platform: MediaPlatform;
  readonly #logger: Logger;
  readonly #roomId: string;
  readonly #callbacks: StreamCallbacks;
  /** VideoRoom publisher ids → stream ids, local and remote. */
  readonly #streamByPublisher = new Map<string, string>();
  readonly #publisherByStream = new Map<string, string>();
  /** Local publishers by stream key, and the options they were published with. */
  readonly #local = new Map<string, { publisher: Publisher; options: PublishOptions }>();
  readonly #pendingKeys = new Set<string>();
  #closed = false;

  /** Events are handled without a caller to tell: failures go to the log. */
  readonly #logFailure = (error: unknown): void => {
    this.#logger.error('handling a stream event failed', error);
  };

  constructor(options: StreamManagerOptions) {
    this.#session = options.session;
    this.#store = options.store;
    this.#platform = options.platform;
    this.#logger = options.logger;
    this.#roomId = options.roomId;
    this.#callbacks = options.callbacks;
  }

  /** Joins the listener; streams already published enter the state without events. */
  async listen(): Promise<void> {
    const handleId = await this.#session.attach(JanusPlugin.VideoRoom);
    this.#session.onHandleEvent(handleId, (frame) => this.#onEvent(frame));
    const { data } = await this.#session.message(handleId, {
      request: 'join',
      room: this.#roomId,
      ptype: 'publisher',
      display: encodeDisplay({ participantId: this.#store.state.localParticipantId }),
    });
    if (data.videoroom !== 'joined') {
      throw VideoError.mediaServer(0, 'the stream listener join was not answered with "joined"');
    }
    // Streams of participants the roster knows enter the state before `connected`; a stream
    // whose participant the roster has not told of yet follows when it does.
    const publishers = listField(data, 'publishers');
    const known = (entry: PluginData): boolean => {
      const id = decodeDisplay(entry.display)?.participantId;
      return id !== undefined && this.#store.state.participants.has(id);
    };
    for (const entry of publishers.filter((entry) => !known(entry))) {
      this.#addRemote(entry, false).catch(this.#logFailure);
    }
    await Promise.all(publishers.filter(known).map((entry) => this.#addRemote(entry, false)));
  }

  /** The VideoRoom publisher id (the subscription `feed`) of a stream. */
  publisherIdOf(streamId: string): string | undefined {
    return this.#publisherByStream.get(streamId);
  }

  /** The publisher of a local stream key. */
  localPublisher(key: string): Publisher | undefined {
    return this.#local.get(key)?.publisher;
  }

  /** Publishes a new local stream under `key`. */
  async publish(key: string, tracks: LocalTracks, options: PublishOptions): Promise<void> {
    if (localStream(this.#store.state, key) !== undefined || this.#pendingKeys.has(key)) {
      throw VideoError.invalidState(`a stream with the key ${key} is already published`);
    }
    const stream: Stream = {
      id: uuid(),
      key,
      participantId: this.#store.state.localParticipantId,
      origin: 'local',
      audioTrack: tracks.audio,
      videoTrack: tracks.video,
      isAudioEnabled: tracks.audio?.enabled === true,
      isVideoEnabled: tracks.video?.enabled === true,
      isAudioCensored: false,
      isVideoCensored: false,
      isConfigured: false,
    };
    this.#pendingKeys.add(key);
    this.#store.dispatch({ type: 'add_stream', payload: stream });
    this.#callbacks.localAudioChanged();
    try {
      await this.#startPublisher(stream, options);
    } catch (error) {
      if (this.#store.state.streams.has(stream.id)) {
        this.#store.dispatch({ type: 'remove_stream', payload: { id: stream.id } });
        this.#callbacks.localAudioChanged();
      }
      throw error;
    } finally {
      this.#pendingKeys.delete(key);
    }
    this.#store.dispatch({
      type: 'update_stream',
      payload: { id: stream.id, props: { isConfigured: true } },
    });
    this.#callbacks.published(stream.participantId, key);
  }

  /** Publishes the local streams of the state again (after a reconnection), without events. */
  async republish(optionsByKey: ReadonlyMap<string, PublishOptions>): Promise<void> {
    const state = this.#store.state;
    const locals = [...state.streams.values()].filter(
      (stream) => stream.participantId === state.localParticipantId,
    );
    await Promise.all(
      locals.map(async (stream) => {
        await this.#startPublisher(stream, optionsByKey.get(stream.key) ?? {});
        this.#store.dispatch({
          type: 'update_stream',
          payload: { id: stream.id, props: { isConfigured: true } },
        });
      }),
    );
  }

  async #startPublisher(stream: Stream, options: PublishOptions): Promise<void> {
    const publisher = await Publisher.start({
      session: this.#session,
      platform: this.#platform,
      logger: this.#logger.child('publisher'),
      roomId: this.#roomId,
      stream,
      options,
    });
    if (this.#closed) {
      void publisher.close();
      throw VideoError.connectionLost('the room closed while publishing');
    }
    this.#local.set(stream.key, { publisher, options });
    this.#streamByPublisher.set(publisher.publisherId, stream.id);
    this.#publisherByStream.set(stream.id, publisher.publisherId);
    // Moderation of our own publisher may reach its own handle rather than the listener.
    this.#session.onHandleEvent(publisher.handleId, (frame) => this.#onEvent(frame));
  }

  /** Replaces the tracks of the local stream `key`. */
  async update(key: string, tracks: LocalTracks): Promise<void> {
    const entry = this.#local.get(key);
    const before = localStream(this.#store.state, key);
    if (entry === undefined || before === undefined) {
      throw VideoError.invalidState(`no published stream with the key ${key}`);
    }
    const audioChanged = before.audioTrack !== tracks.audio;
    const videoChanged = before.videoTrack !== tracks.video;
    this.#store.dispatch({
      type: 'update_stream',
      payload: {
        id: before.id,
        props: {
          audioTrack: tracks.audio,
          videoTrack: tracks.video,
          isAudioEnabled: tracks.audio?.enabled === true,
          isVideoEnabled: tracks.video?.enabled === true,
          isConfigured: false,
        },
      },
    });
    this.#callbacks.localAudioChanged();
    const stream = this.#store.state.streams.get(before.id);
    if (stream === undefined) {
      throw VideoError.invalidState(`the stream ${key} went away while updating`);
    }
    await entry.publisher.update(stream);
    this.#store.dispatch({
      type: 'update_stream',
      payload: { id: stream.id, props: { isConfigured: true } },
    });
    if (audioChanged) {
      this.#callbacks.track(
        stream.audioTrack ? 'track_enabled' : 'track_disabled',
        stream.participantId,
        key,
        'audio',
      );
    }
    if (videoChanged) {
      this.#callbacks.track(
        stream.videoTrack ? 'track_enabled' : 'track_disabled',
        stream.participantId,
        key,
        'video',
      );
    }
  }

  /** Stops publishing the local stream `key`. */
  async unpublish(key: string): Promise<void> {
    const stream = localStream(this.#store.state, key);
    const entry = this.#local.get(key);
    if (stream === undefined || entry === undefined) {
      throw VideoError.invalidState(`no published stream with the key ${key}`);
    }
    this.#local.delete(key);
    this.#streamByPublisher.delete(entry.publisher.publisherId);
    this.#publisherByStream.delete(stream.id);
    await entry.publisher.close();
    if (this.#store.state.streams.has(stream.id)) {
      this.#store.dispatch({ type: 'remove_stream', payload: { id: stream.id } });
    }
    this.#callbacks.localAudioChanged();
    this.#callbacks.unpublished(stream.participantId, key);
  }

  /** Removes these remote streams, left behind by a participant who went without unpublishing. */
  async removeRemoteStreams(streamIds: readonly string[]): Promise<void> {
    const streams = streamIds.flatMap((id) => {
      const stream = this.#store.state.streams.get(id);
      return stream?.origin === 'remote' ? [stream] : [];
    });
    for (const stream of streams) {
      const publisherId = this.#publisherByStream.get(stream.id);
      if (publisherId !== undefined) {
        await this.#removeRemote(publisherId);
      } else if (this.#store.state.streams.has(stream.id)) {
        this.#store.dispatch({ type: 'remove_stream', payload: { id: stream.id } });
      }
    }
  }

  #onEvent(frame: JanusFrame): void {
    const data = frame.plugindata?.data;
    if (data === undefined) {
      return;
    }
    if (data.videoroom === 'talking' || data.videoroom === 'stopped-talking') {
      const stream = this.#streamOfPublisher(idField(data, 'id'));
      if (stream !== undefined) {
        this.#callbacks.talking(stream.participantId, stream.key, data.videoroom === 'talking');
      }
      return;
    }
    if (data.videoroom !== 'event') {
      return;
    }
    for (const field of ['unpublished', 'kicked', 'leaving']) {
      const publisherId = idField(data, field);
      if (publisherId !== undefined) {
        this.#removeRemote(publisherId).catch(this.#logFailure);
      }
    }
    for (const kind of ['audio', 'video'] as const) {
      const moderation = data[`${kind}-moderation`];
      if (moderation === 'muted' || moderation === 'unmuted') {
        this.#moderated(idField(data, 'id'), kind, moderation === 'muted');
      }
    }
    for (const entry of listField(data, 'publishers')) {
      this.#addRemote(entry, true).catch(this.#logFailure);
    }
    if (data.id !== undefined && typeof data.display === 'string') {
      this.#displayChanged(data);
    }
  }

  async #addRemote(entry: PluginData, announce: boolean): Promise<void> {
    const publisherId = idField(entry, 'id');
    const info = decodeDisplay(entry.display);
    const local = this.#store.state.localParticipantId;
    if (publisherId === undefined || info?.stream === undefined || info.participantId === local) {
      return;
    }
    const known = this.#streamByPublisher.get(publisherId);
    if (known !== undefined && this.#store.state.streams.has(known)) {
      // A renegotiation or a description change lists the publisher again.
      return;
    }
    const { participantId } = info;
    // The VideoRoom may tell of a stream before the AudioBridge tells of its participant.
    const present = await this.#store.waitFor(
      (state) => this.#closed || state.participants.has(participantId),
      PARTICIPANT_WAIT_MS,
    );
    if (this.#closed || !present) {
      this.#logger.warn(`ignoring a stream of an unknown participant [${participantId}]`);
      return;
    }
    const previous = this.#store.state.participants.get(participantId)?.streams[info.stream.key];
    if (previous !== undefined) {
      // The participant published the key anew before we heard the old one go.
      const previousPublisher = this.#publisherByStream.get(previous);
      if (previousPublisher !== undefined) {
        await this.#removeRemote(previousPublisher);
      }
    }
    if (this.#closed || !this.#store.state.participants.has(participantId)) {
      // The participant left while its old stream went.
      return;
    }
    const stream: Stream = {
      id: info.stream.id,
      key: info.stream.key,
      participantId,
      origin: 'remote',
      audioTrack: undefined,
      videoTrack: undefined,
      isAudioEnabled: info.stream.isAudioEnabled,
      isVideoEnabled: info.stream.isVideoEnabled,
      isAudioCensored: entry.audio_moderated === true,
      isVideoCensored: entry.video_moderated === true,
      isConfigured: false,
    };
    this.#store.dispatch({ type: 'add_stream', payload: stream });
    this.#streamByPublisher.set(publisherId, stream.id);
    this.#publisherByStream.set(stream.id, publisherId);
    // A stream that arrives late, once the room is connected, is news for the app too.
    if (announce || this.#store.state.status === 'connected') {
      this.#callbacks.published(participantId, stream.key);
    }
  }

  async #removeRemote(publisherId: string): Promise<void> {
    const stream = this.#streamOfPublisher(publisherId);
    if (stream === undefined || stream.origin !== 'remote') {
      return;
    }
    this.#streamByPublisher.delete(publisherId);
    this.#publisherByStream.delete(stream.id);
    await this.#callbacks.unpublishing(stream.participantId, stream.key);
    if (this.#store.state.streams.has(stream.id)) {
      this.#store.dispatch({ type: 'remove_stream', payload: { id: stream.id } });
      this.#callbacks.unpublished(stream.participantId, stream.key);
    }
  }

  #moderated(publisherId: string | undefined, kind: 'audio' | 'video', censored: boolean): void {
    const stream = this.#streamOfPublisher(publisherId);
    const flag = kind === 'audio' ? 'isAudioCensored' : 'isVideoCensored';
    if (stream === undefined || stream[flag] === censored) {
      return;
    }
    this.#store.dispatch({
      type: 'update_stream',
      payload: { id: stream.id, props: { [flag]: censored } },
    });
    if (kind === 'audio' && stream.origin === 'local') {
      this.#callbacks.localAudioChanged();
    }
    this.#callbacks.track(
      censored ? 'track_censored' : 'track_uncensored',
      stream.participantId,
      stream.key,
      kind,
    );
  }

  #displayChanged(data: PluginData): void {
    const info = decodeDisplay(data.display);
    if (info?.stream === undefined || info.participantId === this.#store.state.localParticipantId) {
      return;
    }
    const stream = this.#store.state.streams.get(info.stream.id);
    if (stream === undefined) {
      return;
    }
    const audioChanged = stream.isAudioEnabled !== info.stream.isAudioEnabled;
    const videoChanged = stream.isVideoEnabled !== info.stream.isVideoEnabled;
    if (!audioChanged && !videoChanged) {
      return;
    }
    this.#store.dispatch({
      type: 'update_stream',
      payload: {
        id: stream.id,
        props: {
          isAudioEnabled: info.stream.isAudioEnabled,
          isVideoEnabled: info.stream.isVideoEnabled,
        },
      },
    });
    if (audioChanged) {
      this.#callbacks.track(
        info.stream.isAudioEnabled ? 'track_enabled' : 'track_disabled',
        stream.participantId,
        stream.key,
        'audio',
      );
    }
    if (videoChanged) {
      this.#callbacks.track(
        info.stream.isVideoEnabled ? 'track_enabled' : 'track_disabled',
        stream.participantId,
        stream.key,
        'video',
      );
    }
  }

  #streamOfPublisher(publisherId: string | undefined): Stream | undefined {
    const streamId =
      publisherId === undefined ? undefined : this.#streamByPublisher.get(publisherId);
    return streamId === undefined ? undefined : this.#store.state.streams.get(streamId);
  }

  /** Closes every local publisher's PeerConnection. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const { publisher } of this.#local.values()) {
      void publisher.close();
    }
    this.#local.clear();
    this.#streamByPublisher.clear();
    this.#publisherByStream.clear();
  }
}

/** The local stream of `key`, if published. */
export function localStream(state: State, key: string): Stream | undefined {
  const id = state.participants.get(state.localParticipantId)?.streams[key];
  return id === undefined ? undefined : state.streams.get(id);
}
