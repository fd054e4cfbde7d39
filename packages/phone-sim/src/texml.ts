import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { PhoneSimError, PhoneSimErrorCode } from './errors.js';

export type StreamTrackOption = 'inbound_track' | 'outbound_track' | 'both_tracks';

/** A `<Stream>` inside `<Start>`, with Telnyx's defaults filled in. */
export interface StreamInstruction {
  url: string;
  track: StreamTrackOption;
  name?: string;
  /** `default` keeps the call's codec (PCMU here). */
  codec: string;
  bidirectionalMode: 'mp3' | 'rtp';
  bidirectionalCodec: string;
  bidirectionalSamplingRate: number;
  statusCallback?: string;
  statusCallbackMethod: 'GET' | 'POST';
  /** From the `<Parameter name value>` children; sent as `start.custom_parameters`. */
  parameters: Record<string, string>;
}

export type TexmlVerb =
  | { verb: 'Start'; stream?: StreamInstruction }
  | { verb: 'Stop'; stream: boolean }
  | { verb: 'Pause'; lengthSeconds: number }
  | { verb: 'Say'; text: string; voice: string; language?: string; loop: number }
  | { verb: 'Hangup' }
  | { verb: 'Reject'; reason: 'rejected' | 'busy' }
  | { verb: 'Unknown'; name: string; attributes: Record<string, string> };

export interface TexmlDocument {
  verbs: TexmlVerb[];
  /** Everything a real carrier would ignore or refuse: unknown verbs and attributes, bad values. */
  warnings: string[];
}

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
});

const STREAM_ATTRIBUTES = new Set([
  'url',
  'track',
  'name',
  'codec',
  'bidirectionalMode',
  'bidirectionalCodec',
  'bidirectionalSamplingRate',
  'statusCallback',
  'statusCallbackMethod',
]);
const TRACKS = new Set(['inbound_track', 'outbound_track', 'both_tracks']);
const CODECS = new Set(['PCMU', 'PCMA', 'G722', 'OPUS', 'AMR-WB', 'default']);
const BIDI_CODECS = new Set(['PCMU', 'PCMA', 'G722', 'OPUS', 'AMR-WB', 'L16']);
const BIDI_RATES = new Set([8000, 16000, 24000]);

function tagOf(node: OrderedNode): string | undefined {
  return Object.keys(node).find((key) => key !== ':@');
}

function childrenOf(node: OrderedNode, tag: string): OrderedNode[] {
  const value = node[tag];
  return Array.isArray(value) ? (value as OrderedNode[]) : [];
}

function textOf(node: OrderedNode, tag: string): string {
  return childrenOf(node, tag)
    .map((child) => (typeof child['#text'] === 'string' ? child['#text'] : ''))
    .join(' ')
    .trim();
}

function parseStream(node: OrderedNode, warnings: string[]): StreamInstruction | undefined {
  const a = node[':@'] ?? {};
  for (const key of Object.keys(a)) {
    if (!STREAM_ATTRIBUTES.has(key)) {
      warnings.push(`<Stream> attribute "${key}" is not a Telnyx attribute; ignored`);
    }
  }
  const url = a['url'];
  if (url === undefined || url === '') {
    warnings.push('<Stream> has no url; no stream is opened');
    return undefined;
  }
  if (!/^wss?:\/\//i.test(url)) {
    warnings.push(`<Stream url="${url}"> is not a ws:// or wss:// address; no stream is opened`);
    return undefined;
  }
  let track: StreamTrackOption = 'inbound_track';
  if (a['track'] !== undefined) {
    if (TRACKS.has(a['track'])) {
      track = a['track'] as StreamTrackOption;
    } else {
      warnings.push(
        `<Stream track="${a['track']}"> is not one of ${[...TRACKS].join(', ')}; using inbound_track`,
      );
    }
  }
  let codec = a['codec'] ?? 'default';
  if (!CODECS.has(codec)) {
    warnings.push(`<Stream codec="${codec}"> is not a Telnyx codec; using default`);
    codec = 'default';
  }
  let bidirectionalMode: 'mp3' | 'rtp' = 'mp3';
  if (a['bidirectionalMode'] !== undefined) {
    if (a['bidirectionalMode'] === 'rtp' || a['bidirectionalMode'] === 'mp3') {
      bidirectionalMode = a['bidirectionalMode'];
    } else {
      warnings.push(
        `<Stream bidirectionalMode="${a['bidirectionalMode']}"> is not mp3 or rtp; using mp3`,
      );
    }
  }
  let bidirectionalCodec = a['bidirectionalCodec'] ?? 'PCMU';
  if (!BIDI_CODECS.has(bidirectionalCodec)) {
    warnings.push(
      `<Stream bidirectionalCodec="${bidirectionalCodec}"> is not supported; using PCMU`,
    );
    bidirectionalCodec = 'PCMU';
  }
  if (a['bidirectionalCodec'] !== undefined && bidirectionalMode !== 'rtp') {
    warnings.push('<Stream bidirectionalCodec> only applies with bidirectionalMode="rtp"');
  }
  let bidirectionalSamplingRate = 8000;
  if (a['bidirectionalSamplingRate'] !== undefined) {
    const rate = Number(a['bidirectionalSamplingRate']);
    if (BIDI_RATES.has(rate)) {
      bidirectionalSamplingRate = rate;
    } else {
      warnings.push(
        `<Stream bidirectionalSamplingRate="${a['bidirectionalSamplingRate']}"> is not 8000, 16000 or 24000; using 8000`,
      );
    }
  }
  let statusCallbackMethod: 'GET' | 'POST' = 'POST';
  const method = a['statusCallbackMethod']?.toUpperCase();
  if (method !== undefined) {
    if (method === 'GET' || method === 'POST') {
      statusCallbackMethod = method;
    } else {
      warnings.push(
        `<Stream statusCallbackMethod="${a['statusCallbackMethod']}"> is not GET or POST; using POST`,
      );
    }
  }
  const parameters: Record<string, string> = {};
  for (const child of childrenOf(node, 'Stream')) {
    const tag = tagOf(child);
    if (tag === 'Parameter') {
      const name = child[':@']?.['name'];
      if (name === undefined || name === '') {
        warnings.push('<Parameter> without a name; ignored');
      } else {
        parameters[name] = child[':@']?.['value'] ?? '';
      }
    } else if (tag !== undefined && tag !== '#text') {
      warnings.push(`<Stream> child <${tag}> is not a Telnyx noun; ignored`);
    }
  }
  const instruction: StreamInstruction = {
    url,
    track,
    codec,
    bidirectionalMode,
    bidirectionalCodec,
    bidirectionalSamplingRate,
    statusCallbackMethod,
    parameters,
  };
  if (a['name'] !== undefined) {
    instruction.name = a['name'];
  }
  if (a['statusCallback'] !== undefined) {
    instruction.statusCallback = a['statusCallback'];
  }
  return instruction;
}

/**
 * Parses a TeXML answer the way the carrier reads it: the verbs under `<Response>` in order, with
 * Telnyx's defaults. What Telnyx would not understand is kept as an `Unknown` verb or a warning,
 * so a test can see it. Throws `texml_invalid` when the text is not XML or has no `<Response>`.
 */
export function parseTexml(xml: string): TexmlDocument {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new PhoneSimError(
      PhoneSimErrorCode.TexmlInvalid,
      `TeXML is not well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`,
    );
  }
  const roots = (parser.parse(xml) as OrderedNode[]).filter((node) => tagOf(node) !== '#text');
  const root = roots[0];
  if (roots.length !== 1 || root === undefined || tagOf(root) !== 'Response') {
    throw new PhoneSimError(
      PhoneSimErrorCode.TexmlInvalid,
      `TeXML must have one <Response> root, got ${roots.map((r) => `<${tagOf(r) ?? '?'}>`).join(', ') || 'nothing'}`,
    );
  }
  const warnings: string[] = [];
  const verbs: TexmlVerb[] = [];
  for (const node of childrenOf(root, 'Response')) {
    const tag = tagOf(node);
    if (tag === undefined) {
      continue;
    }
    if (tag === '#text') {
      warnings.push('text directly inside <Response> is ignored');
      continue;
    }
    const attributes = node[':@'] ?? {};
    switch (tag) {
      case 'Start': {
        let stream: StreamInstruction | undefined;
        for (const child of childrenOf(node, 'Start')) {
          const childTag = tagOf(child);
          if (childTag === 'Stream') {
            if (stream !== undefined) {
              warnings.push('only one <Stream> per call is supported; later ones are ignored');
            } else {
              stream = parseStream(child, warnings);
            }
          } else if (childTag !== undefined) {
            warnings.push(`<Start><${childTag}> is not simulated; ignored`);
          }
        }
        verbs.push(stream === undefined ? { verb: 'Start' } : { verb: 'Start', stream });
        break;
      }
      case 'Stop':
        verbs.push({
          verb: 'Stop',
          stream: childrenOf(node, 'Stop').some((c) => tagOf(c) === 'Stream'),
        });
        break;
      case 'Pause': {
        const raw = attributes['length'];
        let lengthSeconds = 1;
        if (raw !== undefined) {
          const n = Number(raw);
          if (Number.isInteger(n) && n > 0) {
            // Telnyx documents 1-180, yet connectors send 86400 to hold the call: honour any.
            lengthSeconds = n;
          } else {
            warnings.push(`<Pause length="${raw}"> is not a positive integer; using 1`);
          }
        }
        if (childrenOf(node, 'Pause').length > 0) {
          warnings.push('<Pause> must be self-closing; its content is ignored');
        }
        verbs.push({ verb: 'Pause', lengthSeconds });
        break;
      }
      case 'Say': {
        const loopRaw = attributes['loop'];
        let loop = 1;
        if (loopRaw !== undefined) {
          const n = Number(loopRaw);
          if (Number.isInteger(n) && n >= 0 && n <= 10) {
            loop = n;
          } else {
            warnings.push(`<Say loop="${loopRaw}"> is not 0-10; using 1`);
          }
        }
        const say: TexmlVerb = {
          verb: 'Say',
          text: textOf(node, 'Say'),
          voice: attributes['voice'] ?? 'man',
          loop,
        };
        if (attributes['language'] !== undefined) {
          say.language = attributes['language'];
        }
        verbs.push(say);
        break;
      }
      case 'Hangup':
        verbs.push({ verb: 'Hangup' });
        break;
      case 'Reject': {
        const reason = attributes['reason'] ?? 'rejected';
        if (reason !== 'rejected' && reason !== 'busy') {
          warnings.push(`<Reject reason="${reason}"> is not rejected or busy; using rejected`);
        }
        if (verbs.length > 0) {
          warnings.push('<Reject> is only meaningful as the first verb');
        }
        verbs.push({ verb: 'Reject', reason: reason === 'busy' ? 'busy' : 'rejected' });
        break;
      }
      default:
        warnings.push(`<${tag}> is not simulated; skipped`);
        verbs.push({ verb: 'Unknown', name: tag, attributes });
    }
  }
  return { verbs, warnings };
}
