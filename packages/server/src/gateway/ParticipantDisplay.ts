import { GatewayRefusal } from './GatewayRefusal.js';

/** A stream as the SDK describes it in a `display`. */
export interface DisplayStream {
  id: string;
  key: string;
  isAudioEnabled?: boolean;
  isVideoEnabled?: boolean;
}

/**
 * What `@telnyx/video` puts in a Janus `display`: base64 of UTF-8 JSON (janus-wire.md §4).
 * `{participantId, external, canReceiveMessages}` registers a participant; with `stream` it
 * names one of that participant's streams.
 */
export interface ParticipantDisplay {
  participantId: string;
  /** The app's `context` string. */
  external?: string;
  canReceiveMessages?: boolean;
  telephonyEngineParticipant?: boolean;
  stream?: DisplayStream;
}

const PARTICIPANT_ID = /^[A-Za-z0-9._:-]{1,64}$/;
/** A `display` longer than this is refused (the context is the only free-form part). */
export const MAX_DISPLAY_CHARS = 12_000;

/** Decodes and checks a `display`; refuses anything the SDK would not send. */
export function decodeDisplay(display: unknown): ParticipantDisplay {
  if (typeof display !== 'string' || display.length === 0) {
    throw GatewayRefusal.forbidden('display must be base64-encoded JSON');
  }
  if (display.length > MAX_DISPLAY_CHARS) {
    throw GatewayRefusal.forbidden(`display is longer than ${MAX_DISPLAY_CHARS} characters`);
  }
  let value: unknown;
  try {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(display)) {
      throw new Error('not base64');
    }
    value = JSON.parse(Buffer.from(display, 'base64').toString('utf8'));
  } catch {
    throw GatewayRefusal.forbidden('display must be base64-encoded JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw GatewayRefusal.forbidden('display must encode a JSON object');
  }
  const record = value as Record<string, unknown>;
  const { participantId, external, canReceiveMessages, telephonyEngineParticipant, stream } =
    record;
  if (typeof participantId !== 'string' || !PARTICIPANT_ID.test(participantId)) {
    throw GatewayRefusal.forbidden(
      'display.participantId must be 1-64 letters, digits or ._:- characters',
    );
  }
  if (external !== undefined && typeof external !== 'string') {
    throw GatewayRefusal.forbidden('display.external must be a string');
  }
  if (canReceiveMessages !== undefined && typeof canReceiveMessages !== 'boolean') {
    throw GatewayRefusal.forbidden('display.canReceiveMessages must be a boolean');
  }
  if (telephonyEngineParticipant !== undefined) {
    // Only Palaver's phone bridge joins as a telephone participant.
    throw GatewayRefusal.forbidden('clients cannot join as telephony participants');
  }
  const display_: ParticipantDisplay = { participantId };
  if (external !== undefined) {
    display_.external = external;
  }
  if (canReceiveMessages !== undefined) {
    display_.canReceiveMessages = canReceiveMessages;
  }
  if (stream !== undefined) {
    display_.stream = checkStream(stream);
  }
  return display_;
}

/** Encodes a display the way the SDK does. */
export function encodeDisplay(display: ParticipantDisplay): string {
  return Buffer.from(JSON.stringify(display), 'utf8').toString('base64');
}

function checkStream(stream: unknown): DisplayStream {
  if (typeof stream !== 'object' || stream === null) {
    throw GatewayRefusal.forbidden('display.stream must be an object');
  }
  const { id, key, isAudioEnabled, isVideoEnabled } = stream as Record<string, unknown>;
  if (typeof id !== 'string' || id.length === 0 || id.length > 64) {
    throw GatewayRefusal.forbidden('display.stream.id must be a string of 1-64 characters');
  }
  if (typeof key !== 'string' || key.length === 0 || key.length > 64) {
    throw GatewayRefusal.forbidden('display.stream.key must be a string of 1-64 characters');
  }
  if (
    (isAudioEnabled !== undefined && typeof isAudioEnabled !== 'boolean') ||
    (isVideoEnabled !== undefined && typeof isVideoEnabled !== 'boolean')
  ) {
    throw GatewayRefusal.forbidden('display.stream.isAudioEnabled/isVideoEnabled must be booleans');
  }
  return {
    id,
    key,
    ...(isAudioEnabled !== undefined && { isAudioEnabled }),
    ...(isVideoEnabled !== undefined && { isVideoEnabled }),
  };
}
