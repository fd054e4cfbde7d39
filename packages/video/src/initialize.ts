import { Logger, isLogLevel } from './Logger.js';
import { uuid } from './ids.js';
import type { MediaPlatform } from './media/MediaPlatform.js';
import { browserPlatform } from './media/MediaPlatform.js';
import type { RoomOptions } from './Room.js';
import { Room } from './Room.js';
import type { Devices, InitializeOptions, ReconnectOptions } from './types.js';
import { VideoError } from './VideoError.js';

/** The SDK's version. */
export const version = '0.1.0';

// More than a minute of attempts: a server that never heard the old connection close keeps its
// participant id until its media session times out (60 s), and the same id is refused till then.
const RECONNECT_DEFAULTS: Required<ReconnectOptions> = {
  maxAttempts: 16,
  initialDelayMs: 250,
  maxDelayMs: 5_000,
};

/**
 * Creates a room and opens its signalling connection to Palaver; `room.connect()` then joins.
 *
 * @example
 * ```ts
 * const room = await initialize({ roomId, clientToken, context: JSON.stringify({ name }) });
 * room.on('stream_published', (participantId, key) =>
 *   room.addSubscription(participantId, key, { audio: true, video: true }));
 * await room.connect();
 * ```
 */
export function initialize(config: InitializeOptions): Promise<Room> {
  return openRoom(config, browserPlatform());
}

/**
 * `initialize` on a given platform (tests use fakes).
 * @internal
 */
export async function openRoom(
  config: InitializeOptions,
  platform: MediaPlatform,
  session?: RoomOptions['session'],
): Promise<Room> {
  if (typeof config !== 'object' || config === null) {
    throw VideoError.invalidArgument('initialize needs { roomId, clientToken }');
  }
  const { roomId, clientToken, context, logLevel } = config;
  if (typeof roomId !== 'string' || roomId === '') {
    throw VideoError.invalidArgument('roomId must be a non-empty string');
  }
  if (typeof clientToken !== 'string' || clientToken === '') {
    throw VideoError.invalidArgument('clientToken must be a non-empty string');
  }
  if (context !== undefined && typeof context !== 'string') {
    throw VideoError.invalidArgument('context must be a string (e.g. JSON.stringify of an object)');
  }
  if (logLevel !== undefined && !isLogLevel(logLevel)) {
    throw VideoError.invalidArgument(`the value for logLevel is not valid: ${String(logLevel)}`);
  }
  const reconnect =
    config.reconnect === false
      ? false
      : {
          ...RECONNECT_DEFAULTS,
          ...(typeof config.reconnect === 'object' ? config.reconnect : {}),
        };
  const logger = new Logger('room', logLevel);
  try {
    return await Room.open({
      roomId,
      url: signallingUrl(config.server ?? platform.pageOrigin(), roomId),
      clientToken,
      participantId: uuid(),
      context,
      enableMessages: config.enableMessages === true,
      reconnect,
      platform,
      logger,
      ...(session === undefined ? {} : { session }),
    });
  } catch (error) {
    logger.error('initialize failed', error);
    throw error;
  }
}

/** `wss://<server>/<roomId>/janus` from Palaver's base URL (`https:` → `wss:`). */
export function signallingUrl(server: string | undefined, roomId: string): string {
  if (server === undefined || server === '') {
    throw VideoError.invalidArgument('no server: pass initialize({ server: "https://…" })');
  }
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw VideoError.invalidArgument(`server is not a URL: ${server}`);
  }
  const protocols: Record<string, string> = {
    'https:': 'wss:',
    'http:': 'ws:',
    'wss:': 'wss:',
    'ws:': 'ws:',
  };
  const protocol = protocols[url.protocol];
  if (protocol === undefined) {
    throw VideoError.invalidArgument(`server must be an http(s) or ws(s) URL: ${server}`);
  }
  const base = url.pathname.replace(/\/+$/, '');
  return `${protocol}//${url.host}${base}/${encodeURIComponent(roomId)}/janus`;
}

const DEVICE_LABELS: Readonly<Record<MediaDeviceKind, string>> = {
  audioinput: 'Mic',
  videoinput: 'Camera',
  audiooutput: 'Speaker',
};

/**
 * The browser's microphones, cameras and speakers (labels appear once the page may use them),
 * or `undefined` where the browser cannot list devices.
 */
export async function getDevices(): Promise<Devices | undefined> {
  if (
    typeof navigator === 'undefined' ||
    typeof navigator.mediaDevices?.enumerateDevices !== 'function'
  ) {
    return undefined;
  }
  const devices = await navigator.mediaDevices.enumerateDevices().catch(() => []);
  const result: Devices = { audioinput: [], videoinput: [], audiooutput: [] };
  for (const device of devices) {
    const list = result[device.kind];
    list.push({
      label:
        device.label === '' ? `${DEVICE_LABELS[device.kind]} ${list.length + 1}` : device.label,
      id: device.deviceId,
    });
  }
  return result;
}
