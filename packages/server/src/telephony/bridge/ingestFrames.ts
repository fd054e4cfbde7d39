import { decodeBase64Strict } from '@palaver/phone-sim';

// What Telnyx sends on a media stream, read tolerantly (protocols.md §3): counters may be strings
// or numbers, the encoding `PCMU` or `audio/x-mulaw`, custom parameters snake- or camelCase, and
// `stream_id` may be missing. Only what the bridge acts on is kept.

/** The G.711 law of the caller's audio. */
export type CallerCodec = 'pcmu' | 'pcma';

export interface IngestStart {
  event: 'start';
  streamId: string | undefined;
  callControlId: string | undefined;
  from: string | undefined;
  to: string | undefined;
  codec: CallerCodec;
  sampleRate: number;
  customParameters: Record<string, string>;
}

export interface IngestMedia {
  event: 'media';
  track: 'inbound' | 'outbound';
  /** Per-track frame counter; undefined when Telnyx sent none. */
  chunk: number | undefined;
  sequence: number | undefined;
  /** The raw G.711 bytes (no RTP header). */
  payload: Buffer;
}

export type IngestFrame =
  | { event: 'connected' }
  | IngestStart
  | IngestMedia
  | { event: 'dtmf'; digit: string }
  | { event: 'mark'; name: string | undefined }
  | {
      event: 'error';
      code: string | undefined;
      title: string | undefined;
      detail: string | undefined;
    }
  | { event: 'stop' };

/** Why a frame was not taken. */
export type IngestProblem =
  'malformed_json' | 'unknown_event' | 'invalid_field' | 'invalid_media' | 'unsupported_format';

export type IngestParseResult =
  { ok: true; frame: IngestFrame } | { ok: false; problem: IngestProblem; detail: string };

/** Bytes of 20 ms of 8 kHz G.711, the only frame size the bridge takes. */
export const G711_FRAME_BYTES = 160;

const DIGIT = /^[0-9*#A-Da-d]$/;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A counter Telnyx sends as a decimal string (or, tolerated, a number). */
function counter(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) {
    return value;
  }
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) {
    return Number(value);
  }
  return undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function fail(problem: IngestProblem, detail: string): IngestParseResult {
  return { ok: false, problem, detail };
}

/** Maps Telnyx's encoding names (old and new spellings) to a G.711 law, or undefined. */
export function callerCodec(encoding: string): CallerCodec | undefined {
  switch (encoding.trim().toLowerCase()) {
    case 'pcmu':
    case 'audio/x-mulaw':
    case 'mulaw':
    case 'ulaw':
      return 'pcmu';
    case 'pcma':
    case 'audio/x-alaw':
    case 'alaw':
      return 'pcma';
    default:
      return undefined;
  }
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(value)) {
    for (const [key, v] of Object.entries(value)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
        out[key] = String(v);
      }
    }
  } else if (Array.isArray(value)) {
    // Call Control's list form: [{name, value}].
    for (const item of value) {
      const v = isObject(item) ? item.value : undefined;
      if (isObject(item) && typeof item.name === 'string' && typeof v === 'string') {
        out[item.name] = v;
      }
    }
  }
  return out;
}

/** Parses one text frame from Telnyx. Never throws. */
export function parseIngestFrame(raw: string): IngestParseResult {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return fail('malformed_json', 'the frame is not JSON');
  }
  if (!isObject(value)) {
    return fail('malformed_json', 'the frame is not a JSON object');
  }
  const event = value.event;
  if (typeof event !== 'string') {
    return fail('invalid_field', 'event must be a string');
  }
  const body = value[event];
  switch (event) {
    case 'connected':
      return { ok: true, frame: { event } };
    case 'start': {
      if (!isObject(body)) {
        return fail('invalid_field', 'start must be an object');
      }
      const format = isObject(body.media_format)
        ? body.media_format
        : isObject(body.mediaFormat)
          ? body.mediaFormat
          : {};
      const encoding = text(format.encoding) ?? 'PCMU';
      const codec = callerCodec(encoding);
      const sampleRate = counter(format.sample_rate ?? format.sampleRate) ?? 8000;
      const channels = counter(format.channels) ?? 1;
      if (codec === undefined || sampleRate !== 8000 || channels !== 1) {
        return fail(
          'unsupported_format',
          `media format ${encoding}/${sampleRate}/${channels} is not 8 kHz mono G.711`,
        );
      }
      return {
        ok: true,
        frame: {
          event,
          streamId: text(value.stream_id) ?? text(body.stream_id) ?? text(body.streamSid),
          callControlId: text(body.call_control_id) ?? text(body.callSid),
          from: text(body.from),
          to: text(body.to),
          codec,
          sampleRate,
          customParameters: stringRecord(body.custom_parameters ?? body.customParameters),
        },
      };
    }
    case 'media': {
      if (!isObject(body) || typeof body.payload !== 'string') {
        return fail('invalid_field', 'media.payload must be a string');
      }
      const track = body.track ?? 'inbound';
      if (track !== 'inbound' && track !== 'outbound') {
        return fail(
          'invalid_field',
          `media.track ${JSON.stringify(track)} is neither inbound nor outbound`,
        );
      }
      const payload = decodeBase64Strict(body.payload);
      if (payload === undefined) {
        return fail('invalid_media', 'media.payload is not base64');
      }
      if (payload.length !== G711_FRAME_BYTES) {
        return fail(
          'invalid_media',
          `media.payload has ${payload.length} bytes, not ${G711_FRAME_BYTES} (20 ms of G.711)`,
        );
      }
      return {
        ok: true,
        frame: {
          event,
          track,
          chunk: counter(body.chunk),
          sequence: counter(value.sequence_number),
          payload,
        },
      };
    }
    case 'dtmf': {
      const digit = isObject(body) ? text(body.digit) : undefined;
      if (digit === undefined || !DIGIT.test(digit)) {
        return fail('invalid_field', 'dtmf.digit must be one of 0-9, *, #, A-D');
      }
      return { ok: true, frame: { event, digit: digit.toUpperCase() } };
    }
    case 'mark':
      return { ok: true, frame: { event, name: isObject(body) ? text(body.name) : undefined } };
    case 'error':
      return {
        ok: true,
        frame: {
          event,
          code: isObject(body) ? (text(body.code) ?? counter(body.code)?.toString()) : undefined,
          title: isObject(body) ? text(body.title) : undefined,
          detail: isObject(body) ? text(body.detail) : undefined,
        },
      };
    case 'stop':
      return { ok: true, frame: { event } };
    default:
      return fail('unknown_event', `unknown event "${event.slice(0, 40)}"`);
  }
}
