import { ErrorCode, PalaverError, type PalaverErrorOptions } from '../errors.js';

/** Base of every failure that comes from talking to (or running) Janus. */
export class JanusError extends PalaverError {}

/** Janus did not start, or stopped answering while starting. */
export class JanusStartError extends JanusError {
  constructor(message: string, options: PalaverErrorOptions = {}) {
    super(ErrorCode.Unavailable, message, options);
  }
}

/** The connection to Janus is closed (or was closed while a request was waiting). */
export class JanusClosedError extends JanusError {
  constructor(message = 'connection to Janus is closed', options: PalaverErrorOptions = {}) {
    super(ErrorCode.Unavailable, message, options);
  }
}

/** Janus sent no reply within the allowed time. */
export class JanusTimeoutError extends JanusError {
  readonly request: string;

  constructor(request: string, timeoutMs: number) {
    super(ErrorCode.Unavailable, `Janus did not answer ${request} within ${timeoutMs} ms`);
    this.request = request;
  }
}

/** A core Janus API error (`{"janus":"error","error":{code,reason}}`, codes 403, 458, 459, …). */
export class JanusApiError extends JanusError {
  /** Janus's numeric code, e.g. 458 = no such session. */
  readonly janusCode: number;
  readonly reason: string;

  constructor(janusCode: number, reason: string, request: string) {
    super(
      janusCode === 403 || janusCode === 405 ? ErrorCode.Forbidden : ErrorCode.Internal,
      `Janus refused ${request}: ${reason} [code:${janusCode}]`,
    );
    this.janusCode = janusCode;
    this.reason = reason;
  }

  static readonly SESSION_NOT_FOUND = 458;
  static readonly HANDLE_NOT_FOUND = 459;
  static readonly UNAUTHORIZED = 403;
}

/** Plugin error codes by meaning, per plugin (janus-api.md §3-5). */
const PLUGIN_CODES = {
  'janus.plugin.audiobridge': { noSuchRoom: 485, roomExists: 486, unauthorized: 489 },
  'janus.plugin.videoroom': { noSuchRoom: 426, roomExists: 427, unauthorized: 433 },
  'janus.plugin.textroom': { noSuchRoom: 417, roomExists: 418, unauthorized: 419 },
} as const satisfies Record<string, Record<string, number>>;

type KnownPlugin = keyof typeof PLUGIN_CODES;

function codesOf(plugin: string): (typeof PLUGIN_CODES)[KnownPlugin] | undefined {
  return plugin in PLUGIN_CODES ? PLUGIN_CODES[plugin as KnownPlugin] : undefined;
}

/** A plugin answered with `error_code` (the core reply itself was a success). */
export class JanusPluginError extends JanusError {
  readonly plugin: string;
  /** The plugin's numeric code, e.g. 485 = AudioBridge "no such room". */
  readonly pluginCode: number;
  readonly data: Readonly<Record<string, unknown>>;

  constructor(plugin: string, pluginCode: number, text: string, data: Record<string, unknown>) {
    super(
      JanusPluginError.#errorCode(plugin, pluginCode),
      `${plugin}: ${text} [code:${pluginCode}]`,
    );
    this.plugin = plugin;
    this.pluginCode = pluginCode;
    this.data = data;
  }

  get isNoSuchRoom(): boolean {
    return codesOf(this.plugin)?.noSuchRoom === this.pluginCode;
  }

  get isRoomExists(): boolean {
    return codesOf(this.plugin)?.roomExists === this.pluginCode;
  }

  /** Wrong or missing secret / pin / admin_key. */
  get isUnauthorized(): boolean {
    return codesOf(this.plugin)?.unauthorized === this.pluginCode;
  }

  static #errorCode(plugin: string, pluginCode: number): ErrorCode {
    const codes = codesOf(plugin);
    switch (pluginCode) {
      case codes?.noSuchRoom:
        return ErrorCode.ResourceNotFound;
      case codes?.roomExists:
        return ErrorCode.AlreadyExists;
      case codes?.unauthorized:
        return ErrorCode.Forbidden;
      default:
        return ErrorCode.Internal;
    }
  }
}
