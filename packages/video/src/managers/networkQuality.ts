import type { ConnectionQualityLevel } from '../types.js';
import { ConnectionQualityLevel as Level } from '../types.js';

/** Quality from packet loss (0–1) and round-trip time; thresholds of common call-quality scales. */
export function qualityOf(lossRatio: number, rttMs: number | undefined): ConnectionQualityLevel {
  const rtt = rttMs ?? 0;
  if (lossRatio >= 0.2 || rtt > 1000) {
    return Level.bad_network;
  }
  if (lossRatio >= 0.1 || rtt > 600) {
    return Level.below_average_network;
  }
  if (lossRatio >= 0.05 || rtt > 400) {
    return Level.average_network;
  }
  if (lossRatio >= 0.02 || rtt > 250) {
    return Level.good_network;
  }
  return Level.excellent_network;
}

/** RTP counters of one direction of one track, as two stats samples give them. */
export interface RtpSample {
  /** Packets received (inbound) or sent (outbound) so far. */
  packets: number;
  /** Packets lost so far (inbound: `packetsLost`; outbound: the receiver's report). */
  lost: number;
  /** Round-trip time in ms, when known. */
  rttMs?: number | undefined;
}

/**
 * Quality between two samples of the same RTP stream: no packets in between means the media
 * stopped (`network_broken`).
 */
export function qualityBetween(
  previous: RtpSample | undefined,
  current: RtpSample,
): ConnectionQualityLevel {
  if (previous === undefined) {
    return qualityOf(0, current.rttMs);
  }
  const packets = current.packets - previous.packets;
  const lost = Math.max(0, current.lost - previous.lost);
  if (packets <= 0) {
    return Level.network_broken;
  }
  return qualityOf(lost / (packets + lost), current.rttMs);
}
