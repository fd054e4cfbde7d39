import type { Logger } from '../Logger.js';
import type {
  ConnectionQualityLevel,
  NetworkMetrics,
  State,
  StreamNetworkMetrics,
} from '../types.js';
import { ConnectionQualityLevel as Level } from '../types.js';
import type { RtpSample } from './networkQuality.js';
import { qualityBetween } from './networkQuality.js';

export interface MetricsOptions {
  state(): State;
  /** The PeerConnections carrying a participant's streams, by stream key. */
  peerConnections(participantId: string): Map<string, RTCPeerConnection>;
  emit(metrics: NetworkMetrics): void;
  logger: Logger;
  /** Default: 5000 ms, as `@telnyx/video`. */
  intervalMs?: number;
}

interface KindSample {
  kind: 'audio' | 'video';
  sample: RtpSample;
  statsId: string;
}

/**
 * `network_metrics_report`: every few seconds, the connection quality of chosen participants,
 * from the packet loss and round-trip times of the PeerConnections that carry their streams
 * (and, for the local participant, the signalling round trip).
 */
export class NetworkMetricsReporter {
  readonly #options: MetricsOptions;
  readonly #participants = new Set<string>();
  readonly #previous = new Map<string, RtpSample>();
  #includeStreams = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #localQuality: ConnectionQualityLevel = Level.excellent_network;

  constructor(options: MetricsOptions) {
    this.#options = options;
  }

  enable(participantIds: readonly string[], includeStreams: boolean): void {
    for (const id of participantIds) {
      this.#participants.add(id);
    }
    this.#includeStreams = includeStreams;
    if (this.#timer !== undefined || this.#participants.size === 0) {
      return;
    }
    // A first report at once, as @telnyx/video does: everyone starts excellent.
    const initial: NetworkMetrics = {};
    for (const id of this.#reportable()) {
      initial[id] = { connectionQuality: Level.excellent_network };
    }
    this.#options.emit(initial);
    this.#timer = setInterval(() => {
      this.#report().catch((error: unknown) => this.#options.logger.debug('metrics failed', error));
    }, this.#options.intervalMs ?? 5_000);
  }

  /** Stops reporting on `participantIds`, or on everyone. */
  disable(participantIds?: readonly string[]): void {
    if (participantIds === undefined || participantIds.length === 0) {
      this.#participants.clear();
    } else {
      for (const id of participantIds) {
        this.#participants.delete(id);
      }
    }
    if (this.#participants.size === 0) {
      this.close();
    }
  }

  /** The signalling round trip's verdict on the local connection. */
  set localQuality(level: ConnectionQualityLevel) {
    this.#localQuality = level;
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #reportable(): string[] {
    const { participants } = this.#options.state();
    return [...this.#participants].filter((id) => {
      const participant = participants.get(id);
      return participant !== undefined && participant.origin !== 'telephony_engine';
    });
  }

  async #report(): Promise<void> {
    const metrics: NetworkMetrics = {};
    const state = this.#options.state();
    for (const id of this.#reportable()) {
      const streams = new Map<string, StreamNetworkMetrics>();
      let quality: ConnectionQualityLevel =
        id === state.localParticipantId ? this.#localQuality : Level.excellent_network;
      const local = id === state.localParticipantId;
      for (const [key, pc] of this.#options.peerConnections(id)) {
        const perKind = await this.#sample(`${id}/${key}`, pc, local);
        const stream = streamOf(state, id, key);
        const entry: StreamNetworkMetrics = {
          audio: { direction: 'inactive', quality: Level.excellent_network },
          video: { direction: 'inactive', quality: Level.excellent_network },
        };
        const subscription = state.subscriptions.get(id)?.get(key);
        for (const kind of ['audio', 'video'] as const) {
          const level = perKind.get(kind);
          const enabled = kind === 'audio' ? stream?.isAudioEnabled : stream?.isVideoEnabled;
          // A kind the subscription leaves out carries no packets by choice, not by a fault.
          const received = local || subscription?.[kind] === true;
          if (level === undefined || enabled !== true || !received) {
            continue;
          }
          entry[kind] = { direction: local ? 'sending' : 'receiving', quality: level };
          quality = Math.min(quality, level) as ConnectionQualityLevel;
        }
        streams.set(key, entry);
      }
      metrics[id] = { connectionQuality: quality, ...(this.#includeStreams ? { streams } : {}) };
    }
    if (this.#timer !== undefined) {
      this.#options.emit(metrics);
    }
  }

  async #sample(
    prefix: string,
    pc: RTCPeerConnection,
    local: boolean,
  ): Promise<Map<'audio' | 'video', ConnectionQualityLevel>> {
    const report = await pc.getStats();
    const samples: KindSample[] = [];
    const remoteInbound = new Map<string, { lost: number; rttMs: number | undefined }>();
    report.forEach((entry: Record<string, unknown>) => {
      if (entry.type === 'remote-inbound-rtp' && typeof entry.localId === 'string') {
        remoteInbound.set(entry.localId, {
          lost: typeof entry.packetsLost === 'number' ? entry.packetsLost : 0,
          rttMs: typeof entry.roundTripTime === 'number' ? entry.roundTripTime * 1000 : undefined,
        });
      }
    });
    report.forEach((entry: Record<string, unknown>) => {
      const kind = entry.kind;
      if ((kind !== 'audio' && kind !== 'video') || typeof entry.id !== 'string') {
        return;
      }
      if (!local && entry.type === 'inbound-rtp') {
        samples.push({
          kind,
          statsId: entry.id,
          sample: {
            packets: numberOr(entry.packetsReceived),
            lost: numberOr(entry.packetsLost),
          },
        });
      } else if (local && entry.type === 'outbound-rtp') {
        const remote = remoteInbound.get(entry.id);
        samples.push({
          kind,
          statsId: entry.id,
          sample: {
            packets: numberOr(entry.packetsSent),
            lost: remote?.lost ?? 0,
            rttMs: remote?.rttMs,
          },
        });
      }
    });
    const levels = new Map<'audio' | 'video', ConnectionQualityLevel>();
    for (const { kind, statsId, sample } of samples) {
      const id = `${prefix}/${statsId}`;
      const level = qualityBetween(this.#previous.get(id), sample);
      this.#previous.set(id, sample);
      // Simulcast sends several RTP streams of one kind: the best of them speaks for it.
      levels.set(
        kind,
        Math.max(levels.get(kind) ?? Level.network_broken, level) as ConnectionQualityLevel,
      );
    }
    return levels;
  }
}

function numberOr(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

function streamOf(state: State, participantId: string, key: string) {
  const id = state.participants.get(participantId)?.streams[key];
  return id === undefined ? undefined : state.streams.get(id);
}
