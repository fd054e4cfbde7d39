/**
 * Stable error codes of the simulator. A code never changes meaning; messages may.
 */
export const PhoneSimErrorCode = {
  /** An option or flag has a missing, malformed or out-of-range value. */
  InvalidOption: 'invalid_option',
  /** The voice webhook (and its failover) did not answer 2xx in time. */
  WebhookFailed: 'webhook_failed',
  /** The webhook answered with something that is not a TeXML `<Response>` document. */
  TexmlInvalid: 'texml_invalid',
  /** The media-stream WebSocket could not be opened. */
  StreamConnectFailed: 'stream_connect_failed',
  /** A webhook signing key could not be read. */
  InvalidSigningKey: 'invalid_signing_key',
  /** An audio file or buffer is not in a format the kit understands. */
  InvalidAudio: 'invalid_audio',
  /** Speech synthesis was asked for, but espeak-ng is not installed or failed. */
  SpeechUnavailable: 'speech_unavailable',
  /** An object was used after `close()`. */
  Closed: 'closed',
} as const;

export type PhoneSimErrorCode = (typeof PhoneSimErrorCode)[keyof typeof PhoneSimErrorCode];

/** Every error the simulator raises on purpose carries a stable `code`. */
export class PhoneSimError extends Error {
  readonly code: PhoneSimErrorCode;

  constructor(code: PhoneSimErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PhoneSimError';
    this.code = code;
  }

  static invalidOption(name: string, detail: string): PhoneSimError {
    return new PhoneSimError(PhoneSimErrorCode.InvalidOption, `invalid ${name}: ${detail}`);
  }
}
