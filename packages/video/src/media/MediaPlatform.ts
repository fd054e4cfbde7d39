import type { SignalSocketFactory } from '../janus/SignalSocket.js';
import { openWebSocket } from '../janus/SignalSocket.js';

/** Several local audio tracks mixed into one. */
export interface AudioMix {
  readonly track: MediaStreamTrack;
  close(): void;
}

/**
 * What the SDK needs from the browser beyond plain objects: sockets, PeerConnections and Web
 * Audio. The room takes it as a dependency so that tests run it in Node with fakes.
 */
export interface MediaPlatform {
  openSocket: SignalSocketFactory;
  createPeerConnection(): RTCPeerConnection;
  mixAudio(tracks: readonly MediaStreamTrack[]): AudioMix;
  /** The page's origin, the default server. */
  pageOrigin(): string | undefined;
}

/** The browser's WebSocket, RTCPeerConnection and AudioContext. */
export function browserPlatform(): MediaPlatform {
  return {
    openSocket: openWebSocket,
    // No ICE servers: Janus answers with its own reachable candidates, and a browser behind NAT
    // is found through its peer-reflexive candidates.
    createPeerConnection: () => new RTCPeerConnection({ bundlePolicy: 'max-bundle' }),
    mixAudio: (tracks) => {
      const context = new AudioContext();
      const destination = context.createMediaStreamDestination();
      for (const track of tracks) {
        context.createMediaStreamSource(new MediaStream([track])).connect(destination);
      }
      const [track] = destination.stream.getAudioTracks();
      if (track === undefined) {
        void context.close();
        throw new Error('Web Audio produced no track');
      }
      return { track, close: () => void context.close() };
    },
    pageOrigin: () => (typeof location === 'undefined' ? undefined : location.origin),
  };
}
