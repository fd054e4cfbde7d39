import { describe, expect, it } from 'vitest';
import { Logger } from '../Logger.js';
import { initialState, reduceState } from '../state/stateReducer.js';
import { remoteStream } from '../testing/fixtures.js';
import type { NetworkMetrics, State } from '../types.js';
import { NetworkMetricsReporter } from './NetworkMetricsReporter.js';

/** A remote participant, Bob, publishing audio and video, and a subscription to his video only. */
function roomWithBob(): State {
  let state = initialState({
    id: 'me',
    context: undefined,
    streams: {},
    canReceiveMessages: true,
    origin: 'local',
  });
  state = reduceState(state, {
    type: 'add_participant',
    payload: {
      id: 'bob',
      context: undefined,
      streams: {},
      canReceiveMessages: true,
      origin: 'remote',
    },
  });
  state = reduceState(state, {
    type: 'add_stream',
    payload: remoteStream({ id: 'bob-self', participantId: 'bob', isConfigured: true }),
  });
  return reduceState(state, {
    type: 'add_subscription',
    payload: { id: 'sub-1', participantId: 'bob', key: 'self', audio: false, video: true },
  });
}

/** A receiving PeerConnection's stats: the audio counter stands still, the video one moves. */
function receivingPeerConnection(): RTCPeerConnection {
  let videoPackets = 0;
  return {
    getStats: () => {
      videoPackets += 100;
      return Promise.resolve(
        new Map<string, object>([
          ['in-a', { id: 'in-a', type: 'inbound-rtp', kind: 'audio', packetsReceived: 0 }],
          [
            'in-v',
            { id: 'in-v', type: 'inbound-rtp', kind: 'video', packetsReceived: videoPackets },
          ],
        ]),
      );
    },
  } as unknown as RTCPeerConnection;
}

describe('network metrics', () => {
  it('judges a subscription by what it receives: audio left out is not a broken network', async () => {
    const state = roomWithBob();
    const pc = receivingPeerConnection();
    const reports: NetworkMetrics[] = [];
    const reporter = new NetworkMetricsReporter({
      state: () => state,
      peerConnections: (id) => new Map(id === 'bob' ? [['self', pc]] : []),
      emit: (metrics) => reports.push(metrics),
      logger: new Logger('test', 'OFF'),
      intervalMs: 10,
    });
    reporter.enable(['bob'], true);
    await expect.poll(() => reports.length).toBeGreaterThanOrEqual(3);
    reporter.close();
    for (const report of reports.slice(1)) {
      expect(report.bob?.connectionQuality).toBe(5);
      expect(report.bob?.streams?.get('self')).toEqual({
        audio: { direction: 'inactive', quality: 5 },
        video: { direction: 'receiving', quality: 5 },
      });
    }
  });
});
