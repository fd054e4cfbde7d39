import type { Stream } from '../types.js';

/** A remote participant's stream with audio and video on and no tracks yet; `props` override. */
export function remoteStream(
  props: Partial<Stream> & Pick<Stream, 'id' | 'participantId'>,
): Stream {
  return {
    key: 'self',
    origin: 'remote',
    isAudioEnabled: true,
    isVideoEnabled: true,
    isAudioCensored: false,
    isVideoCensored: false,
    audioTrack: undefined,
    videoTrack: undefined,
    isConfigured: false,
    ...props,
  };
}
