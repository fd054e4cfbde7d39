import type { Logger } from 'pino';
import type { FrameRateOptions } from '../../gateway/FrameRateLimiter.js';
import type { JanusClient } from '../../janus/JanusClient.js';
import type { RoomPresence } from '../../rooms/RoomPresence.js';
import type { CallService } from '../CallService.js';
import type { Call } from '../types.js';
import type { BridgedCall } from './BridgedCall.js';
import type { MediaTicker } from './MediaTicker.js';
import type { TranscoderPool } from './TranscoderPool.js';

/** What the bridge needs from the room side: Janus rooms kept open, events to the room's clients. */
export interface BridgeRoomHost {
  /**
   * Makes sure the room's Janus rooms exist and keeps them while held (as a connected client
   * would); resolves with the release.
   */
  holdRoom(roomId: string): Promise<() => void>;
  /** Sends an AudioBridge event to every client of the room, as Janus would. */
  sendAudioBridgeEvent(roomId: string, data: Record<string, unknown>): void;
  /**
   * Where Janus should record this participant's leg (an absolute path without extension), or
   * undefined when the room does not record.
   */
  recordingFile(
    roomId: string,
    participantId: string,
    streamKey: string,
  ): Promise<string | undefined>;
}

/** What each call gets from the bridge that owns it. */
export interface BridgeContext {
  logger: Logger;
  calls: Pick<CallService, 'claimCall' | 'markAnswered' | 'markEnded' | 'touch'>;
  presence: Pick<RoomPresence, 'join' | 'leave'>;
  rooms: BridgeRoomHost;
  janus(): Promise<JanusClient>;
  transcoders: TranscoderPool;
  ticker: MediaTicker;
  frameRate: FrameRateOptions;
  idleTimeoutMs: number;
  touchIntervalMs: number;
  /** A DTMF digit the caller pressed, to be posted to the room. */
  dtmf(roomId: string, participantId: string, digit: string): void;
  /** Hangs the phone call up at Telnyx when its connector has an API key. */
  hangUp(call: Call, callControlId: string | undefined): Promise<void>;
  /** How long a frame spent in the bridge, per direction, in ms. */
  latency(direction: 'toRoom' | 'toCaller', ms: number): void;
  /** The call is over and cleaned up. */
  ended(call: BridgedCall): void;
}
