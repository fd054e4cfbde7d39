/** Wire shapes of the Janus API as the control plane uses them (janus-api.md §1). */

export type JanusPluginName =
  'janus.plugin.audiobridge' | 'janus.plugin.videoroom' | 'janus.plugin.textroom';

/** A plugin's payload: `plugindata.data`. Plugins differ, so fields are checked where used. */
export type JanusPluginPayload = Record<string, unknown>;

export interface JanusJsep {
  type: 'offer' | 'answer';
  sdp: string;
  trickle?: boolean;
  [extra: string]: unknown;
}

export interface JanusCandidate {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

/** Any frame Janus sends on the Janus API. */
export interface JanusFrame {
  janus: string;
  transaction?: string;
  session_id?: number;
  sender?: number;
  plugindata?: { plugin: string; data: JanusPluginPayload };
  jsep?: JanusJsep;
  data?: { id?: number; [extra: string]: unknown };
  error?: { code: number; reason: string };
  [extra: string]: unknown;
}

/** `{"janus":"server_info"}`, the reply to `info` (only what Palaver reads is typed). */
export interface JanusServerInfo {
  janus: 'server_info';
  name: string;
  version: number;
  version_string: string;
  session_timeout?: number;
  reclaim_session_timeout?: number;
  api_secret?: boolean;
  auth_token?: boolean;
  event_handlers?: boolean;
  transports: Record<string, { name: string; version: number; version_string: string }>;
  plugins: Record<string, { name: string; version: number; version_string: string }>;
  events?: Record<string, { name: string; version: number; version_string: string }>;
  loggers?: Record<string, unknown>;
  [extra: string]: unknown;
}

/** What a plugin `message` resolves to: the plugin's data, and a JSEP if it sent one. */
export interface JanusPluginReply<T extends JanusPluginPayload = JanusPluginPayload> {
  plugin: string;
  data: T;
  jsep?: JanusJsep;
}

/** A plugin event nobody asked for (another participant joined, talking, …). */
export interface JanusPluginEvent {
  plugin: string;
  data: JanusPluginPayload;
  jsep?: JanusJsep;
}

export interface JanusMediaEvent {
  mid?: string;
  type: 'audio' | 'video';
  receiving: boolean;
  substream?: number;
  seconds?: number;
}

export interface JanusSlowlinkEvent {
  mid?: string;
  media: string;
  uplink: boolean;
  lost: number;
}

/** How a request's reply is recognised: `ack` ends it, or it waits for `success`/`event`. */
export type JanusReplyKind = 'ack' | 'final';

/** What sessions and handles need from the connection (implemented by JanusClient). */
export interface JanusRequester {
  readonly closed: boolean;
  request(
    body: { janus: string; [field: string]: unknown },
    options?: { replyKind?: JanusReplyKind; timeoutMs?: number },
  ): Promise<JanusFrame>;
}
