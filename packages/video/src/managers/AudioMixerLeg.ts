import { MIXER_STREAM_KEY, encodeDisplay } from '../janus/display.js';
import type { JanusSession } from '../janus/JanusSession.js';
import { JanusPlugin } from '../janus/janusFrames.js';
import type { Logger } from '../Logger.js';
import { uuid } from '../ids.js';
import type { MediaPlatform } from '../media/MediaPlatform.js';
import { closePeerConnection, trickleCandidates } from '../media/peerConnections.js';
import { VideoError } from '../VideoError.js';

export interface MixerLegOptions {
  session: JanusSession;
  platform: MediaPlatform;
  logger: Logger;
  roomId: string;
  participantId: string;
  /** The local audio to send from the start (all local streams' audio, mixed). */
  localAudio: MediaStreamTrack | undefined;
  /** The room's mixed audio arrived. */
  onMixedAudio: (track: MediaStreamTrack) => void;
}

/**
 * The participant's leg in the AudioBridge mixer: sends the local audio and receives everyone
 * else's, mixed by the server (phone callers included).
 */
export class AudioMixerLeg {
  readonly #session: JanusSession;
  readonly #logger: Logger;
  readonly #handleId: number;
  readonly #pc: RTCPeerConnection;
  readonly #sender: RTCRtpSender;
  #closed = false;

  private constructor(
    options: MixerLegOptions,
    handleId: number,
    pc: RTCPeerConnection,
    sender: RTCRtpSender,
  ) {
    this.#session = options.session;
    this.#logger = options.logger;
    this.#handleId = handleId;
    this.#pc = pc;
    this.#sender = sender;
  }

  static async open(options: MixerLegOptions): Promise<AudioMixerLeg> {
    const { session, platform, logger } = options;
    const handleId = await session.attach(JanusPlugin.AudioBridge);
    const display = encodeDisplay({
      participantId: options.participantId,
      stream: { id: uuid(), key: MIXER_STREAM_KEY, isAudioEnabled: true, isVideoEnabled: false },
    });
    const joined = await session.message(handleId, {
      request: 'join',
      room: options.roomId,
      display,
      muted: false,
    });
    if (joined.data.audiobridge !== 'joined') {
      throw VideoError.mediaServer(0, 'the mixer join was not answered with "joined"');
    }
    const pc = platform.createPeerConnection();
    try {
      trickleCandidates(pc, session, handleId, logger);
      pc.addEventListener('track', (event: RTCTrackEvent) => options.onMixedAudio(event.track));
      const transceiver = pc.addTransceiver('audio', { direction: 'sendrecv' });
      await transceiver.sender.replaceTrack(options.localAudio ?? null);
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      const answer = await session.message(handleId, { request: 'configure', display }, offer);
      if (answer.jsep === undefined) {
        throw VideoError.mediaServer(0, 'the mixer offer was not answered');
      }
      await pc.setRemoteDescription(answer.jsep);
      return new AudioMixerLeg(options, handleId, pc, transceiver.sender);
    } catch (error) {
      closePeerConnection(pc);
      throw error;
    }
  }

  get peerConnection(): RTCPeerConnection {
    return this.#pc;
  }

  /** Sends `track` (or silence) into the mix. */
  async setLocalAudio(track: MediaStreamTrack | undefined): Promise<void> {
    if (this.#closed || this.#sender.track === (track ?? null)) {
      return;
    }
    await this.#sender.replaceTrack(track ?? null);
    // The same bare configure as @telnyx/video: it tells the bridge the leg changed.
    await this.#session.message(this.#handleId, { request: 'configure' });
  }

  /** Closes the PeerConnection and detaches the handle. Idempotent. */
  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    closePeerConnection(this.#pc);
    this.#session
      .detach(this.#handleId)
      .catch((error: unknown) => this.#logger.debug('mixer detach failed', error));
  }
}
