/** The data of a plugin message or event (`plugindata.data`). */
export type PluginData = Record<string, unknown>;

/** A frame from Janus (through Palaver's gateway). Only the fields the SDK reads. */
export interface JanusFrame {
  janus: string;
  transaction?: string;
  session_id?: number;
  /** The handle an event is about. */
  sender?: number;
  data?: { id?: number };
  plugindata?: { plugin: string; data: PluginData };
  jsep?: RTCSessionDescriptionInit;
  /** Set on the gateway's refusals (400, 401, 403, 429, 503). */
  status_code?: number;
  error_message?: string;
  error?: { code?: number; reason?: string };
}

/** Janus plugin package names. */
export const JanusPlugin = {
  AudioBridge: 'janus.plugin.audiobridge',
  VideoRoom: 'janus.plugin.videoroom',
  TextRoom: 'janus.plugin.textroom',
} as const;

export type JanusPlugin = (typeof JanusPlugin)[keyof typeof JanusPlugin];

/** Parses one inbound frame; `undefined` for anything that is not a JSON object with `janus`. */
export function parseFrame(text: string): JanusFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return undefined;
  }
  const frame = value as Record<string, unknown>;
  if (typeof frame.janus !== 'string' && typeof frame.status_code !== 'number') {
    return undefined;
  }
  return value as JanusFrame;
}

/** A string field of plugin data. */
export function stringField(data: PluginData, name: string): string | undefined {
  const value = data[name];
  return typeof value === 'string' ? value : undefined;
}

/** Janus ids are strings with `string_ids` rooms, numbers otherwise; the SDK keys maps by string. */
export function idField(data: PluginData, name: string): string | undefined {
  const value = data[name];
  if (typeof value === 'string') {
    return value;
  }
  return typeof value === 'number' ? String(value) : undefined;
}

/** An array field of plugin data, as records. */
export function listField(data: PluginData, name: string): PluginData[] {
  const value = data[name];
  return Array.isArray(value)
    ? value.filter((item): item is PluginData => typeof item === 'object' && item !== null)
    : [];
}
