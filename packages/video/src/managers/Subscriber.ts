import type { JanusSession } from '../janus/JanusSession.js';
import { JanusPlugin, listField, stringField } from '../janus/janusFrames.js';
import type { Logger } from '../Logger.js';
import type { MediaPlatform } from '../media/MediaPlatform.js';
import { closePeerConnection, trickleCandidates } from '../media/peerConnections.js';
import type { SimulcastLayer, SubscriptionConfig } from '../types.js';
import { VideoError } from '../VideoError.js';

/** Janus's simulcast substreams: 0 is the lowest quality. */
const SUBSTREAM: Readonly<Record<SimulcastLayer, number>> = { low: 0, medium: 1, high: 2 };

export interface SubscriberOptions {
  session: JanusSession;
  platform: MediaPlatform;
  logger: Logger;
  roomId: string;
  /** The VideoRoom publisher id of the stream. */
  feedId: string;
  config: SubscriptionConfig;
  onTrack: (track: MediaStreamTrack) => void;
}

interface SubscribedMedia {
  type: string;
  mid: string;
}

/**
 * One subscription: a VideoRoom subscriber handle for one publisher's streams, and a
 * receive-only PeerConnection. Audio, video and the simulcast layer are chosen per stream with
 * `configure`, without renegotiation.
 */
export class Subscriber {
  readonly handleId: number;
  readonly #session: JanusSession;
  readonly #logger: Logger;
  readonly #pc: RTCPeerConnection;
  readonly #media: SubscribedMedia[];
  #closed = false;

  private constructor(
    options: SubscriberOptions,
    handleId: number,
    pc: RTCPeerConnection,
    media: SubscribedMedia[],
  ) {
    this.#session = options.session;
    this.#logger = options.logger;
    this.handleId = handleId;
    this.#pc = pc;
    this.#media = media;
  }

  static async start(options: SubscriberOptions): Promise<Subscriber> {
    const { session, platform, logger } = options;
    const handleId = await session.attach(JanusPlugin.VideoRoom);
    const pc = platform.createPeerConnection();
    try {
      trickleCandidates(pc, session, handleId, logger);
      pc.addEventListener('track', (event: RTCTrackEvent) => options.onTrack(event.track));
      const attached = await session.message(handleId, {
        request: 'join',
        room: options.roomId,
        ptype: 'subscriber',
        streams: [{ feed: options.feedId }],
      });
      if (attached.data.videoroom !== 'attached' || attached.jsep === undefined) {
        throw VideoError.mediaServer(0, 'the subscription was not answered with an offer');
      }
      const media = listField(attached.data, 'streams').flatMap((entry) => {
        const type = stringField(entry, 'type');
        const mid = stringField(entry, 'mid');
        return type !== undefined && mid !== undefined ? [{ type, mid }] : [];
      });
      await pc.setRemoteDescription(attached.jsep);
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      await session.message(handleId, { request: 'start', room: options.roomId }, answer);
      const subscriber = new Subscriber(options, handleId, pc, media);
      if (!options.config.audio || !options.config.video || options.config.layer !== undefined) {
        await subscriber.configure(options.config);
      }
      return subscriber;
    } catch (error) {
      closePeerConnection(pc);
      session.detach(handleId).catch(() => undefined);
      throw error;
    }
  }

  get peerConnection(): RTCPeerConnection {
    return this.#pc;
  }

  /** Receives audio and video, and the simulcast layer, as `config` says. */
  async configure(config: SubscriptionConfig): Promise<void> {
    const streams = this.#media.map(({ type, mid }) => ({
      mid,
      send: type === 'audio' ? config.audio : type === 'video' ? config.video : true,
      ...(type === 'video' && config.layer !== undefined
        ? { substream: SUBSTREAM[config.layer] }
        : {}),
    }));
    await this.#session.message(this.handleId, { request: 'configure', streams });
  }

  /** Closes the PeerConnection and detaches the handle. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    closePeerConnection(this.#pc);
    await this.#session
      .detach(this.handleId)
      .catch((error: unknown) => this.#logger.debug('subscriber detach failed', error));
  }
}
