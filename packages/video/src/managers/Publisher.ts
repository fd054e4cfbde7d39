import { encodeDisplay } from '../janus/display.js';
import type { JanusSession } from '../janus/JanusSession.js';
import { JanusPlugin, idField } from '../janus/janusFrames.js';
import type { Logger } from '../Logger.js';
import type { MediaPlatform } from '../media/MediaPlatform.js';
import { closePeerConnection, trickleCandidates } from '../media/peerConnections.js';
import type { PublishOptions, Stream } from '../types.js';
import { VideoError } from '../VideoError.js';

/** The REMB caps `@telnyx/video` asks for: one layer, or three. */
const BITRATE = 500_000;
const SIMULCAST_BITRATE = 800_000;

/**
 * The three simulcast layers, highest first: Janus expects the rids in this order, and its
 * `substream` 2/1/0 are these three.
 */
const SIMULCAST_ENCODINGS: RTCRtpEncodingParameters[] = [
  { rid: 'h', active: true, maxBitrate: 500_000 },
  { rid: 'm', active: true, maxBitrate: 200_000, scaleResolutionDownBy: 2 },
  { rid: 'l', active: true, maxBitrate: 80_000, scaleResolutionDownBy: 4 },
];

export interface PublisherOptions {
  session: JanusSession;
  platform: MediaPlatform;
  logger: Logger;
  roomId: string;
  stream: Stream;
  options: PublishOptions;
}

/**
 * One local stream in the VideoRoom: its own publisher handle (the display names the
 * participant and the stream) and a send-only PeerConnection with an audio and a video
 * transceiver, so tracks can come and go without renegotiation.
 */
export class Publisher {
  readonly handleId: number;
  /** The VideoRoom publisher id, which others subscribe to as the `feed`. */
  readonly publisherId: string;
  readonly #session: JanusSession;
  readonly #logger: Logger;
  readonly #pc: RTCPeerConnection;
  readonly #audio: RTCRtpSender;
  readonly #video: RTCRtpSender;
  #closed = false;

  private constructor(
    options: PublisherOptions,
    handleId: number,
    publisherId: string,
    pc: RTCPeerConnection,
    senders: { audio: RTCRtpSender; video: RTCRtpSender },
  ) {
    this.#session = options.session;
    this.#logger = options.logger;
    this.handleId = handleId;
    this.publisherId = publisherId;
    this.#pc = pc;
    this.#audio = senders.audio;
    this.#video = senders.video;
  }

  static async start(options: PublisherOptions): Promise<Publisher> {
    const { session, platform, logger, stream } = options;
    const handleId = await session.attach(JanusPlugin.VideoRoom);
    const joined = await session.message(handleId, {
      request: 'join',
      room: options.roomId,
      ptype: 'publisher',
      display: displayOf(stream),
    });
    const publisherId = idField(joined.data, 'id');
    if (joined.data.videoroom !== 'joined' || publisherId === undefined) {
      throw VideoError.mediaServer(0, 'the publisher join was not answered with "joined"');
    }
    const pc = platform.createPeerConnection();
    try {
      trickleCandidates(pc, session, handleId, logger);
      const audio = pc.addTransceiver('audio', { direction: 'sendonly' });
      const simulcast = options.options.enableSimulcast === true;
      const video = pc.addTransceiver('video', {
        direction: 'sendonly',
        ...(simulcast ? { sendEncodings: SIMULCAST_ENCODINGS.map((e) => ({ ...e })) } : {}),
      });
      await audio.sender.replaceTrack(stream.audioTrack ?? null);
      await video.sender.replaceTrack(stream.videoTrack ?? null);
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      const answer = await session.message(
        handleId,
        {
          request: 'configure',
          audio: true,
          video: true,
          bitrate: simulcast ? SIMULCAST_BITRATE : BITRATE,
          display: displayOf(stream),
        },
        offer,
      );
      if (answer.jsep === undefined) {
        throw VideoError.mediaServer(0, 'the publisher offer was not answered');
      }
      await pc.setRemoteDescription(answer.jsep);
      return new Publisher(options, handleId, publisherId, pc, {
        audio: audio.sender,
        video: video.sender,
      });
    } catch (error) {
      closePeerConnection(pc);
      session.detach(handleId).catch(() => undefined);
      throw error;
    }
  }

  get peerConnection(): RTCPeerConnection {
    return this.#pc;
  }

  /** Sends the stream's current tracks and tells the room its new display (enabled flags). */
  async update(stream: Stream): Promise<void> {
    await this.#audio.replaceTrack(stream.audioTrack ?? null);
    await this.#video.replaceTrack(stream.videoTrack ?? null);
    await this.#session.message(this.handleId, {
      request: 'configure',
      audio: true,
      video: true,
      display: displayOf(stream),
    });
  }

  /** Closes the PeerConnection and detaches the handle (Janus then unpublishes). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    closePeerConnection(this.#pc);
    await this.#session
      .detach(this.handleId)
      .catch((error: unknown) => this.#logger.debug('publisher detach failed', error));
  }
}

function displayOf(stream: Stream): string {
  return encodeDisplay({
    participantId: stream.participantId,
    stream: {
      id: stream.id,
      key: stream.key,
      isAudioEnabled: stream.isAudioEnabled,
      isVideoEnabled: stream.isVideoEnabled,
    },
  });
}
