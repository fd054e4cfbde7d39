import type { JanusSession } from '../janus/JanusSession.js';
import type { Logger } from '../Logger.js';
import type { WebRTCStats } from '../types.js';

/** Sends the PeerConnection's local ICE candidates to Janus for `handleId` (trickle ICE). */
export function trickleCandidates(
  pc: RTCPeerConnection,
  session: JanusSession,
  handleId: number,
  logger: Logger,
): void {
  pc.addEventListener('icecandidate', (event: RTCPeerConnectionIceEvent) => {
    const { candidate } = event;
    // Some browsers signal the end with an empty candidate before the final null.
    if (candidate !== null && candidate.candidate === '') {
      return;
    }
    session
      .trickle(handleId, candidate === null ? null : candidate.toJSON())
      .catch((error: unknown) => logger.debug('trickle not delivered', error));
  });
}

/** The stats of a PeerConnection's senders and receivers by kind, as `@telnyx/video` shapes them. */
export async function collectWebRTCStats(pc: RTCPeerConnection): Promise<WebRTCStats> {
  const stats: WebRTCStats = { senders: {}, receivers: {} };
  const collect = async (
    parts: readonly (RTCRtpSender | RTCRtpReceiver)[],
    into: WebRTCStats['senders'],
  ): Promise<void> => {
    for (const part of parts) {
      const kind = part.track?.kind;
      if (kind !== 'audio' && kind !== 'video') {
        continue;
      }
      const report = await part.getStats();
      const entries: { [reportId: string]: object } = {};
      report.forEach((entry: { id: string }) => {
        entries[entry.id] = entry;
      });
      into[kind] = entries;
    }
  };
  await collect(pc.getSenders(), stats.senders);
  await collect(pc.getReceivers(), stats.receivers);
  return stats;
}

/** Closes a PeerConnection, tolerating one that is closed already. */
export function closePeerConnection(pc: RTCPeerConnection | undefined): void {
  if (pc !== undefined && pc.signalingState !== 'closed') {
    pc.close();
  }
}
