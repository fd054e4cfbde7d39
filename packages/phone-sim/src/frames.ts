/**
 * Frames of the Telnyx media-streaming WebSocket (see the project's protocols notes, §3), both
 * directions, with builders that produce the exact key order and string-typed counters Telnyx
 * uses, and validating parsers. The server's connector imports these from `@palaver/phone-sim`.
 */

export const TELNYX_STREAM_VERSION = '1.0.0';

/** `inbound` is the caller's voice; `outbound` is what the caller hears. */
export type StreamTrack = 'inbound' | 'outbound';

export interface TelnyxMediaFormat {
  /** `PCMU` today; older streams said `audio/x-mulaw`. */
  encoding: string;
  sample_rate: number;
  channels: number;
}

export interface TelnyxConnectedFrame {
  event: 'connected';
  version: string;
}

export interface TelnyxStartFrame {
  event: 'start';
  sequence_number: string;
  stream_id: string;
  start: {
    user_id: string;
    call_control_id: string;
    call_session_id: string;
    from: string;
    to: string;
    tags?: string[];
    client_state?: string;
    custom_parameters: Record<string, string>;
    media_format: TelnyxMediaFormat;
  };
}

export interface TelnyxMediaFrame {
  event: 'media';
  sequence_number: string;
  media: {
    track: StreamTrack;
    /** Per-track frame counter, from "1". */
    chunk: string;
    /** Milliseconds of media on this track before this frame, from "0". */
    timestamp: string;
    /** Base64 of the raw codec bytes, no RTP header. */
    payload: string;
  };
  stream_id: string;
}

export interface TelnyxDtmfFrame {
  event: 'dtmf';
  stream_id: string;
  occurred_at: string;
  sequence_number: string;
  dtmf: { digit: string };
}

export interface TelnyxMarkFrame {
  event: 'mark';
  stream_id: string;
  sequence_number: string;
  mark: { name: string };
}

export interface TelnyxErrorFrame {
  stream_id: string;
  event: 'error';
  sequence_number: string;
  error: { title: string; code: string; detail: string };
}

export interface TelnyxStopFrame {
  event: 'stop';
  sequence_number: string;
  stop: { user_id: string; call_control_id: string };
  stream_id: string;
}

/** Every frame Telnyx sends to the application. */
export type TelnyxStreamFrame =
  | TelnyxConnectedFrame
  | TelnyxStartFrame
  | TelnyxMediaFrame
  | TelnyxDtmfFrame
  | TelnyxMarkFrame
  | TelnyxErrorFrame
  | TelnyxStopFrame;

/** Audio for the caller (bidirectional streams only). `stream_id` is optional. */
export interface AppMediaFrame {
  event: 'media';
  media: { payload: string };
  stream_id?: string;
}

/** Asks Telnyx to echo `name` once the audio sent before it has played. */
export interface AppMarkFrame {
  event: 'mark';
  mark: { name: string };
  stream_id?: string;
}

/** Drops queued audio; queued marks come back at once. */
export interface AppClearFrame {
  event: 'clear';
  stream_id?: string;
}

/** Every frame the application may send to Telnyx. */
export type AppStreamFrame = AppMediaFrame | AppMarkFrame | AppClearFrame;

/** Error codes of the `error` frame. */
export const StreamError = {
  UnknownError: { code: '100002', title: 'unknown_error' },
  MalformedFrame: { code: '100003', title: 'malformed_frame' },
  InvalidMedia: { code: '100004', title: 'invalid_media' },
  RateLimitReached: { code: '100005', title: 'rate_limit_reached' },
} as const;

export type StreamErrorKind = keyof typeof StreamError;

// ---------------------------------------------------------------------------------------------
// Builders (Telnyx → application)

export function connectedFrame(): TelnyxConnectedFrame {
  return { event: 'connected', version: TELNYX_STREAM_VERSION };
}

export interface StartFrameFields {
  sequenceNumber: number;
  streamId: string;
  userId: string;
  callControlId: string;
  callSessionId: string;
  from: string;
  to: string;
  tags?: string[];
  clientState?: string;
  customParameters: Record<string, string>;
  mediaFormat: TelnyxMediaFormat;
}

export function startFrame(f: StartFrameFields): TelnyxStartFrame {
  return {
    event: 'start',
    sequence_number: String(f.sequenceNumber),
    stream_id: f.streamId,
    start: {
      user_id: f.userId,
      call_control_id: f.callControlId,
      call_session_id: f.callSessionId,
      from: f.from,
      to: f.to,
      ...(f.tags === undefined ? {} : { tags: f.tags }),
      ...(f.clientState === undefined ? {} : { client_state: f.clientState }),
      custom_parameters: f.customParameters,
      media_format: {
        encoding: f.mediaFormat.encoding,
        sample_rate: f.mediaFormat.sample_rate,
        channels: f.mediaFormat.channels,
      },
    },
  };
}

export interface MediaFrameFields {
  sequenceNumber: number;
  streamId: string;
  track: StreamTrack;
  chunk: number;
  timestamp: number;
  payload: string;
}

export function mediaFrame(f: MediaFrameFields): TelnyxMediaFrame {
  return {
    event: 'media',
    sequence_number: String(f.sequenceNumber),
    media: {
      track: f.track,
      chunk: String(f.chunk),
      timestamp: String(f.timestamp),
      payload: f.payload,
    },
    stream_id: f.streamId,
  };
}

/**
 * The JSON text of a media frame, built without an intermediate object: the hot path of a load
 * run. Equal to `JSON.stringify(mediaFrame(...))` for ids and payloads that need no escaping
 * (UUIDs and base64 never do).
 */
export function serializeMediaFrame(
  sequenceNumber: number,
  track: StreamTrack,
  chunk: number,
  timestamp: number,
  payload: string,
  streamId: string,
): string {
  return (
    '{"event":"media","sequence_number":"' +
    sequenceNumber +
    '","media":{"track":"' +
    track +
    '","chunk":"' +
    chunk +
    '","timestamp":"' +
    timestamp +
    '","payload":"' +
    payload +
    '"},"stream_id":"' +
    streamId +
    '"}'
  );
}

export function dtmfFrame(f: {
  sequenceNumber: number;
  streamId: string;
  digit: string;
  occurredAt: Date;
}): TelnyxDtmfFrame {
  return {
    event: 'dtmf',
    stream_id: f.streamId,
    occurred_at: f.occurredAt.toISOString(),
    sequence_number: String(f.sequenceNumber),
    dtmf: { digit: f.digit },
  };
}

export function markFrame(f: {
  sequenceNumber: number;
  streamId: string;
  name: string;
}): TelnyxMarkFrame {
  return {
    event: 'mark',
    stream_id: f.streamId,
    sequence_number: String(f.sequenceNumber),
    mark: { name: f.name },
  };
}

export function errorFrame(f: {
  sequenceNumber: number;
  streamId: string;
  kind: StreamErrorKind;
  detail: string;
}): TelnyxErrorFrame {
  const { code, title } = StreamError[f.kind];
  return {
    stream_id: f.streamId,
    event: 'error',
    sequence_number: String(f.sequenceNumber),
    error: { title, code, detail: f.detail },
  };
}

export function stopFrame(f: {
  sequenceNumber: number;
  streamId: string;
  userId: string;
  callControlId: string;
}): TelnyxStopFrame {
  return {
    event: 'stop',
    sequence_number: String(f.sequenceNumber),
    stop: { user_id: f.userId, call_control_id: f.callControlId },
    stream_id: f.streamId,
  };
}

// ---------------------------------------------------------------------------------------------
// Builders (application → Telnyx)

export function appMediaFrame(payload: string, streamId?: string): AppMediaFrame {
  return streamId === undefined
    ? { event: 'media', media: { payload } }
    : { event: 'media', media: { payload }, stream_id: streamId };
}

export function appMarkFrame(name: string, streamId?: string): AppMarkFrame {
  return streamId === undefined
    ? { event: 'mark', mark: { name } }
    : { event: 'mark', mark: { name }, stream_id: streamId };
}

export function appClearFrame(streamId?: string): AppClearFrame {
  return streamId === undefined ? { event: 'clear' } : { event: 'clear', stream_id: streamId };
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** Why a frame was refused. */
export type FrameProblem = 'malformed_json' | 'not_an_object' | 'unknown_event' | 'invalid_field';

export type FrameParseResult<F> =
  { ok: true; frame: F } | { ok: false; problem: FrameProblem; detail: string; event?: string };

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes canonical padded base64, or returns undefined (Node's decoder would skip bad characters). */
export function decodeBase64Strict(text: string): Buffer | undefined {
  return BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail<F>(problem: FrameProblem, detail: string, event?: string): FrameParseResult<F> {
  return event === undefined
    ? { ok: false, problem, detail }
    : { ok: false, problem, detail, event };
}

function parseObject(text: string): Json | FrameParseResult<never> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return fail('malformed_json', error instanceof Error ? error.message : 'not JSON');
  }
  if (!isObject(value)) {
    return fail('not_an_object', 'a frame is a JSON object');
  }
  return value;
}

function isParseFailure(value: Json | FrameParseResult<never>): value is FrameParseResult<never> {
  return 'ok' in value && value.ok === false && 'problem' in value;
}

/**
 * Validates a frame an application sent to Telnyx: `media` with a string payload, `mark` with a
 * string name, or `clear`; `stream_id` optional. Payload content (base64, size) is checked by the
 * receiver, which knows the stream's mode and codec.
 */
export function parseAppFrame(text: string): FrameParseResult<AppStreamFrame> {
  const value = parseObject(text);
  if (isParseFailure(value)) {
    return value;
  }
  const event = value['event'];
  if (typeof event !== 'string') {
    return fail('invalid_field', 'event must be a string');
  }
  if (value['stream_id'] !== undefined && typeof value['stream_id'] !== 'string') {
    return fail('invalid_field', 'stream_id must be a string', event);
  }
  switch (event) {
    case 'media': {
      const media = value['media'];
      if (!isObject(media) || typeof media['payload'] !== 'string') {
        return fail('invalid_field', 'media.payload must be a string', event);
      }
      return { ok: true, frame: value as unknown as AppMediaFrame };
    }
    case 'mark': {
      const mark = value['mark'];
      if (!isObject(mark) || typeof mark['name'] !== 'string') {
        return fail('invalid_field', 'mark.name must be a string', event);
      }
      return { ok: true, frame: value as unknown as AppMarkFrame };
    }
    case 'clear':
      return { ok: true, frame: value as unknown as AppClearFrame };
    default:
      return fail('unknown_event', `unknown event "${event}"`, event);
  }
}

function isCounter(value: unknown): value is string {
  return typeof value === 'string' && /^\d+$/.test(value);
}

/**
 * Validates a frame Telnyx sent to an application, strictly by §3: string counters, top-level
 * `stream_id`. `connected` may carry extra fields (some senders add `protocol`).
 */
export function parseTelnyxFrame(text: string): FrameParseResult<TelnyxStreamFrame> {
  const value = parseObject(text);
  if (isParseFailure(value)) {
    return value;
  }
  const event = value['event'];
  if (typeof event !== 'string') {
    return fail('invalid_field', 'event must be a string');
  }
  if (event === 'connected') {
    return typeof value['version'] === 'string'
      ? { ok: true, frame: value as unknown as TelnyxConnectedFrame }
      : fail('invalid_field', 'version must be a string', event);
  }
  if (!['start', 'media', 'dtmf', 'mark', 'error', 'stop'].includes(event)) {
    return fail('unknown_event', `unknown event "${event}"`, event);
  }
  if (typeof value['stream_id'] !== 'string') {
    return fail('invalid_field', 'stream_id must be a string', event);
  }
  if (!isCounter(value['sequence_number'])) {
    return fail('invalid_field', 'sequence_number must be a decimal string', event);
  }
  const body = value[event];
  if (!isObject(body)) {
    return fail('invalid_field', `${event} must be an object`, event);
  }
  switch (event) {
    case 'start': {
      const format = body['media_format'];
      const ok =
        typeof body['call_control_id'] === 'string' &&
        typeof body['from'] === 'string' &&
        typeof body['to'] === 'string' &&
        isObject(format) &&
        typeof format['encoding'] === 'string' &&
        typeof format['sample_rate'] === 'number' &&
        typeof format['channels'] === 'number';
      return ok
        ? { ok: true, frame: value as unknown as TelnyxStartFrame }
        : fail('invalid_field', 'start needs call_control_id, from, to and media_format', event);
    }
    case 'media': {
      const ok =
        (body['track'] === 'inbound' || body['track'] === 'outbound') &&
        isCounter(body['chunk']) &&
        isCounter(body['timestamp']) &&
        typeof body['payload'] === 'string';
      return ok
        ? { ok: true, frame: value as unknown as TelnyxMediaFrame }
        : fail('invalid_field', 'media needs track, string chunk and timestamp, payload', event);
    }
    case 'dtmf':
      return typeof body['digit'] === 'string'
        ? { ok: true, frame: value as unknown as TelnyxDtmfFrame }
        : fail('invalid_field', 'dtmf.digit must be a string', event);
    case 'mark':
      return typeof body['name'] === 'string'
        ? { ok: true, frame: value as unknown as TelnyxMarkFrame }
        : fail('invalid_field', 'mark.name must be a string', event);
    case 'error':
      return typeof body['code'] === 'string' && typeof body['title'] === 'string'
        ? { ok: true, frame: value as unknown as TelnyxErrorFrame }
        : fail('invalid_field', 'error needs code and title', event);
    default:
      return { ok: true, frame: value as unknown as TelnyxStopFrame };
  }
}
