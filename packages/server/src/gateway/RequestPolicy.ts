import type { RoomPlugin } from '../janus/JanusRoomEngine.js';
import { GatewayRefusal } from './GatewayRefusal.js';
import type { ParticipantDisplay } from './ParticipantDisplay.js';
import { decodeDisplay } from './ParticipantDisplay.js';

/** The Janus core requests a client may send, and the fields forwarded with each. */
export const CORE_REQUESTS = {
  create: [],
  keepalive: ['session_id'],
  attach: ['session_id', 'plugin', 'opaque_id'],
  message: ['session_id', 'handle_id', 'body', 'jsep'],
  trickle: ['session_id', 'handle_id', 'candidate', 'candidates'],
  detach: ['session_id', 'handle_id'],
  hangup: ['session_id', 'handle_id'],
  destroy: ['session_id'],
} as const satisfies Record<string, readonly string[]>;
export type CoreRequest = keyof typeof CORE_REQUESTS;

/** Plugin names a client may attach to, by their Palaver short name. */
export const PLUGIN_BY_NAME: Readonly<Record<string, RoomPlugin>> = {
  'janus.plugin.audiobridge': 'audiobridge',
  'janus.plugin.videoroom': 'videoroom',
  'janus.plugin.textroom': 'textroom',
};

/**
 * The plugin requests a client may send and the body fields each may carry (besides
 * `request`). Anything else — room administration (create, edit, destroy, kick, moderate,
 * mute, allowed), media leaving Janus (rtp_forward, recording, plain-RTP legs), file playback,
 * changeroom (a 1.1.2 deadlock), listing other rooms — is refused. docs/gateway.md explains
 * each entry.
 */
export const PLUGIN_REQUESTS: Readonly<
  Record<RoomPlugin, Readonly<Record<string, readonly string[]>>>
> = {
  audiobridge: {
    join: ['room', 'display', 'muted', 'bitrate', 'quality', 'expected_loss', 'prebuffer'],
    configure: ['muted', 'display', 'bitrate', 'quality', 'expected_loss', 'prebuffer', 'update'],
    leave: [],
    listparticipants: ['room'],
  },
  videoroom: {
    join: [
      'room',
      'ptype',
      'display',
      // Subscribers (the legacy single-feed form the SDK uses, and the multistream form).
      'feed',
      'streams',
      'audio',
      'video',
      'data',
      'offer_audio',
      'offer_video',
      'offer_data',
      'private_id',
      'autoupdate',
      'use_msid',
    ],
    configure: [
      'audio',
      'video',
      'data',
      'bitrate',
      'keyframe',
      'display',
      'streams',
      'descriptions',
      'update',
      'restart',
      'mid',
      'send',
      'substream',
      'temporal',
      'spatial_layer',
      'temporal_layer',
      'fallback',
    ],
    publish: [
      'audio',
      'video',
      'data',
      'audiocodec',
      'videocodec',
      'bitrate',
      'keyframe',
      'display',
      'descriptions',
    ],
    unpublish: [],
    start: ['room'],
    pause: [],
    subscribe: ['streams'],
    unsubscribe: ['streams'],
    update: ['subscribe', 'unsubscribe'],
    leave: [],
    listparticipants: ['room'],
  },
  textroom: {
    setup: ['room'],
    ack: [],
    restart: [],
  },
};

const JSEP_FIELDS = ['type', 'sdp', 'trickle', 'rid_order'] as const;

/** What a plugin request does for the participant who sends it. */
export type RequestRole =
  /** AudioBridge join without a stream: registers the participant (roster). */
  | 'register'
  /** AudioBridge join of the participant's mixed-audio leg. */
  | 'mixer'
  /** VideoRoom publisher join without a stream: the participant's stream listener. */
  | 'listener'
  /** VideoRoom publisher join for one stream key. */
  | 'publisher'
  | 'subscriber'
  | 'other';

export interface PolicyContext {
  /** The room the connection is bound to (its URL). */
  roomId: string;
  /** The participant the connection declared, once it has. */
  participantId: string | undefined;
  /** A moderator muted this participant's audio: it may not unmute itself. */
  audioMuteLocked: boolean;
}

export interface PluginVerdict {
  request: string;
  role: RequestRole;
  /** The decoded display, when the request carried one. */
  display: ParticipantDisplay | undefined;
  /** The body to forward: only allow-listed fields. */
  body: Record<string, unknown>;
}

/** Checks one plugin request against the allow-list; returns what to forward or throws a refusal. */
export function checkPluginRequest(
  plugin: RoomPlugin,
  body: unknown,
  context: PolicyContext,
): PluginVerdict {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw GatewayRefusal.malformed('message body must be an object');
  }
  const record = body as Record<string, unknown>;
  const request = record.request;
  if (typeof request !== 'string') {
    throw GatewayRefusal.malformed('message body has no request');
  }
  const fields = Object.hasOwn(PLUGIN_REQUESTS[plugin], request)
    ? PLUGIN_REQUESTS[plugin][request]
    : undefined;
  if (fields === undefined) {
    throw GatewayRefusal.forbidden(`${plugin} request "${request}" is not allowed`);
  }
  for (const field of Object.keys(record)) {
    if (field !== 'request' && !fields.includes(field)) {
      throw GatewayRefusal.forbidden(`field "${field}" is not allowed in ${plugin} ${request}`);
    }
  }
  if (record.room !== undefined && record.room !== context.roomId) {
    throw GatewayRefusal.forbidden(`${plugin} ${request} names another room`);
  }
  if (request === 'join' && plugin === 'videoroom') {
    if (record.ptype !== 'publisher' && record.ptype !== 'subscriber') {
      throw GatewayRefusal.forbidden('videoroom join needs ptype publisher or subscriber');
    }
  }
  // Other participants' SDKs decode every display they see; one that is missing or malformed
  // would break them, so joins that show up in rosters must carry a valid one.
  const shown = request === 'join' && (plugin === 'audiobridge' || record.ptype === 'publisher');
  if (shown && record.display === undefined) {
    throw GatewayRefusal.forbidden(`${plugin} join needs a display`);
  }
  const display = record.display === undefined ? undefined : decodeDisplay(record.display);
  const declared = display?.participantId;
  if (declared !== undefined && context.participantId !== undefined) {
    if (declared !== context.participantId) {
      throw GatewayRefusal.forbidden(
        `this connection is participant ${context.participantId}, not ${declared}`,
      );
    }
  }
  // Everything but the chat handshake needs to know who is asking.
  if (plugin !== 'textroom' && context.participantId === undefined && declared === undefined) {
    throw GatewayRefusal.forbidden(
      `${plugin} ${request} before the participant declared itself (join with a display)`,
    );
  }
  if (
    plugin === 'audiobridge' &&
    request === 'configure' &&
    record.muted === false &&
    context.audioMuteLocked
  ) {
    throw GatewayRefusal.forbidden('muted by a moderator: cannot unmute');
  }
  const forwarded = { ...record };
  if (plugin === 'audiobridge' && request === 'join' && context.audioMuteLocked) {
    // A leg joined while a moderator mute holds starts muted (the SDK joins its mixer unmuted).
    forwarded.muted = true;
  }
  return { request, role: roleOf(plugin, request, record, display), display, body: forwarded };
}

/** Only the JSEP fields Janus needs; no end-to-end-encryption or relay flags. */
export function sanitizeJsep(jsep: unknown): Record<string, unknown> {
  if (typeof jsep !== 'object' || jsep === null || Array.isArray(jsep)) {
    throw GatewayRefusal.malformed('jsep must be an object');
  }
  const record = jsep as Record<string, unknown>;
  if ((record.type !== 'offer' && record.type !== 'answer') || typeof record.sdp !== 'string') {
    throw GatewayRefusal.malformed('jsep needs a type (offer or answer) and an sdp');
  }
  const out: Record<string, unknown> = {};
  for (const field of JSEP_FIELDS) {
    if (record[field] !== undefined) {
      out[field] = record[field];
    }
  }
  return out;
}

function roleOf(
  plugin: RoomPlugin,
  request: string,
  body: Record<string, unknown>,
  display: ParticipantDisplay | undefined,
): RequestRole {
  if (request !== 'join') {
    return 'other';
  }
  if (plugin === 'audiobridge') {
    return display?.stream === undefined ? 'register' : 'mixer';
  }
  if (plugin === 'videoroom') {
    if (body.ptype === 'subscriber') {
      return 'subscriber';
    }
    return display?.stream === undefined ? 'listener' : 'publisher';
  }
  return 'other';
}
