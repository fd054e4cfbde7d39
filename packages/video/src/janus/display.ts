/**
 * The `display` of AudioBridge and VideoRoom participants: base64 of UTF-8 JSON, which every
 * client of a room (this SDK and `@telnyx/video`) reads.
 */
export interface DisplayInfo {
  participantId: string;
  /** The app's `context`. */
  external?: string;
  canReceiveMessages?: boolean;
  /** Set only by Palaver's phone bridge. */
  telephonyEngineParticipant?: boolean;
  stream?: {
    id: string;
    key: string;
    isAudioEnabled: boolean;
    isVideoEnabled: boolean;
  };
}

/** Stream key of a participant's mixed-audio leg in the AudioBridge. */
export const MIXER_STREAM_KEY = 'audiobridge';

export function encodeDisplay(info: DisplayInfo): string {
  const bytes = new TextEncoder().encode(JSON.stringify(info));
  let binary = '';
  for (const byte of bytes) {
    binary += String.fromCharCode(byte);
  }
  return btoa(binary);
}

/** The decoded display, or `undefined` when it is not one (another client's bad data). */
export function decodeDisplay(display: unknown): DisplayInfo | undefined {
  if (typeof display !== 'string') {
    return undefined;
  }
  try {
    const binary = atob(display);
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof value !== 'object' || value === null) {
      return undefined;
    }
    const info = value as Partial<DisplayInfo>;
    if (typeof info.participantId !== 'string' || info.participantId === '') {
      return undefined;
    }
    const stream = info.stream;
    if (
      stream !== undefined &&
      (typeof stream !== 'object' ||
        stream === null ||
        typeof stream.id !== 'string' ||
        typeof stream.key !== 'string')
    ) {
      return undefined;
    }
    return {
      participantId: info.participantId,
      ...(typeof info.external === 'string' ? { external: info.external } : {}),
      ...(typeof info.canReceiveMessages === 'boolean'
        ? { canReceiveMessages: info.canReceiveMessages }
        : {}),
      ...(info.telephonyEngineParticipant === true ? { telephonyEngineParticipant: true } : {}),
      ...(stream !== undefined
        ? {
            stream: {
              id: stream.id,
              key: stream.key,
              isAudioEnabled: stream.isAudioEnabled === true,
              isVideoEnabled: stream.isVideoEnabled === true,
            },
          }
        : {}),
    };
  } catch {
    return undefined;
  }
}
