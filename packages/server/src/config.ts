import { resolve } from 'node:path';
import { PalaverError, ErrorCode } from './errors.js';

/** Log levels accepted by `PALAVER_LOG_LEVEL`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Palaver's configuration, read once at start from the environment and command-line flags. */
export interface Config {
  /** TCP port of the HTTP listener. Default: 8080. */
  readonly port: number;
  /** Interface to listen on. Default: 127.0.0.1 (set 0.0.0.0 to serve other machines). */
  readonly host: string;
  /** Base URL clients use to reach this server; when unset, derived from host and the bound port. */
  readonly publicUrl: string | undefined;
  /** Directory for the SQLite store and other state. Default: ./.palaver */
  readonly dataDir: string;
  /** When set, an API key with exactly this secret exists. */
  readonly apiKey: string | undefined;
  /** `postgres://…` switches the store from SQLite to PostgreSQL. */
  readonly databaseUrl: string | undefined;
  readonly logLevel: LogLevel;
  /** `ws://…` of a Janus that runs elsewhere; when unset Palaver runs its own. */
  readonly janusUrl: string | undefined;
  /** The plugins' `admin_key` of an external Janus (an embedded one gets a fresh key each start). */
  readonly janusAdminKey: string | undefined;
  /** UDP ports Janus uses for media. Default: 20000-40000. */
  readonly rtpPorts: { min: number; max: number };
  /** This machine's public address, announced in ICE candidates when behind NAT. */
  readonly publicIp: string | undefined;
  /** STUN server (`host:port`) Janus uses to learn its public address. */
  readonly stunServer: string | undefined;
  /** TURN server (`host:port`) and credentials for Janus's own relay candidates. */
  readonly turnServer: string | undefined;
  readonly turnUser: string | undefined;
  readonly turnPassword: string | undefined;
  /** PEM certificate (chain) file of the TLS listener; with `tlsKey` it turns the listener on. */
  readonly tlsCert: string | undefined;
  /** PEM private key file of the TLS listener. */
  readonly tlsKey: string | undefined;
  /** TCP port of the TLS listener (REST API and room gateway over HTTPS/WSS). Default: 8443. */
  readonly tlsPort: number;
  /**
   * How long a room session (and its Janus rooms) stays open after the last participant left,
   * so that a reload continues it. Default: 10 000 ms.
   */
  readonly sessionGraceMs: number;
  /** Telephony ingest regions: name → base URL of its stream WebSocket (`wss://…`). */
  readonly regions: Readonly<Record<string, string>>;
  /** Calling code → region, for calls whose connector pins none. Default: 1=us002, 91=in002. */
  readonly regionCountryCodes: Readonly<Record<string, string>>;
  /** How long Telnyx has to open a call's stream after the TeXML answer. Default: 90. */
  readonly callClaimTtlSecs: number;
  /** Telnyx's API base URL, for hanging calls up through Call Control. */
  readonly telnyxApiUrl: string;
  /** Transcoding worker threads of the phone bridge; 0: one per core. Default: 0. */
  readonly bridgeWorkers: number;
  /** A phone stream that sends nothing for this long is ended. Default: 10 000 ms. */
  readonly bridgeIdleMs: number;
  /**
   * Demo mode: serves the demo page at `/` and `POST /demo/join`, which hands anyone a join token
   * without an API key. For trying Palaver out only; `npm start` turns it on. Default: off.
   */
  readonly demo: boolean;
  /** Compositions made at once; 0: one fewer than the cores, at least 1. Default: 0. */
  readonly compositionConcurrency: number;
  /** Janus's recording post-processor. Default: `janus-pp-rec` on the PATH. */
  readonly janusPpRecPath: string;
  /** ffmpeg, for compositions. Default: `ffmpeg` on the PATH. */
  readonly ffmpegPath: string;
  /** ffprobe, to check converted recordings. Default: `ffprobe` on the PATH. */
  readonly ffprobePath: string;
}

/** Values given on the command line; they take precedence over the environment. */
export type ConfigOverrides = Partial<Record<keyof Config, string | undefined>>;

/** The environment variable behind each setting, for messages and docs. */
export const CONFIG_ENV = {
  port: 'PALAVER_PORT',
  host: 'PALAVER_HOST',
  publicUrl: 'PALAVER_PUBLIC_URL',
  dataDir: 'PALAVER_DATA_DIR',
  apiKey: 'PALAVER_API_KEY',
  databaseUrl: 'PALAVER_DATABASE_URL',
  logLevel: 'PALAVER_LOG_LEVEL',
  janusUrl: 'PALAVER_JANUS_URL',
  janusAdminKey: 'PALAVER_JANUS_ADMIN_KEY',
  rtpPorts: 'PALAVER_RTP_PORTS',
  publicIp: 'PALAVER_PUBLIC_IP',
  stunServer: 'PALAVER_STUN_SERVER',
  turnServer: 'PALAVER_TURN_SERVER',
  turnUser: 'PALAVER_TURN_USER',
  turnPassword: 'PALAVER_TURN_PASSWORD',
  tlsCert: 'PALAVER_TLS_CERT',
  tlsKey: 'PALAVER_TLS_KEY',
  tlsPort: 'PALAVER_TLS_PORT',
  sessionGraceMs: 'PALAVER_SESSION_GRACE_SECS',
  regions: 'PALAVER_REGIONS',
  regionCountryCodes: 'PALAVER_REGION_COUNTRY_CODES',
  callClaimTtlSecs: 'PALAVER_CALL_CLAIM_TTL_SECS',
  telnyxApiUrl: 'PALAVER_TELNYX_API_URL',
  bridgeWorkers: 'PALAVER_BRIDGE_WORKERS',
  bridgeIdleMs: 'PALAVER_BRIDGE_IDLE_SECS',
  demo: 'PALAVER_DEMO',
  compositionConcurrency: 'PALAVER_COMPOSITION_CONCURRENCY',
  janusPpRecPath: 'PALAVER_JANUS_PP_REC',
  ffmpegPath: 'PALAVER_FFMPEG',
  ffprobePath: 'PALAVER_FFPROBE',
} as const satisfies Record<keyof Config, string>;

/** A setting has a value Palaver cannot use. */
export class ConfigError extends PalaverError {
  constructor(setting: keyof Config, message: string) {
    super(ErrorCode.InvalidParameter, `${CONFIG_ENV[setting]}: ${message}`);
  }
}

/**
 * Builds the configuration from environment variables and overrides. This is the only place
 * that interprets them; everything else receives the frozen result.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  overrides: ConfigOverrides = {},
  cwd: string = process.cwd(),
): Config {
  const raw = (key: keyof Config): string | undefined => {
    const value = overrides[key] ?? env[CONFIG_ENV[key]];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };

  const port = parsePort('port', raw('port'), 8080);
  const tlsPort = parsePort('tlsPort', raw('tlsPort'), 8443);
  const host = raw('host') ?? '127.0.0.1';
  const publicUrl = parsePublicUrl(raw('publicUrl'));
  const databaseUrl = raw('databaseUrl');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('databaseUrl', 'must be a postgres:// URL');
  }
  const apiKey = raw('apiKey');
  if (apiKey !== undefined && apiKey.length < 16) {
    throw new ConfigError('apiKey', 'must be at least 16 characters long');
  }
  const logLevel = raw('logLevel') ?? 'info';
  if (!isLogLevel(logLevel)) {
    throw new ConfigError('logLevel', `must be one of ${LOG_LEVELS.join(', ')}`);
  }

  const janusUrl = raw('janusUrl');
  if (janusUrl !== undefined && !/^wss?:\/\//.test(janusUrl)) {
    throw new ConfigError('janusUrl', 'must be a ws:// or wss:// URL');
  }
  const janusAdminKey = raw('janusAdminKey');
  if (janusUrl !== undefined && janusAdminKey === undefined) {
    throw new ConfigError(
      'janusAdminKey',
      `is required with ${CONFIG_ENV.janusUrl}: the admin_key of that Janus's plugins`,
    );
  }
  const turnServer = raw('turnServer');
  const turnUser = raw('turnUser');
  const turnPassword = raw('turnPassword');
  if (turnServer !== undefined && (turnUser === undefined || turnPassword === undefined)) {
    throw new ConfigError(
      'turnServer',
      `needs ${CONFIG_ENV.turnUser} and ${CONFIG_ENV.turnPassword} as well`,
    );
  }

  const tlsCert = raw('tlsCert');
  const tlsKey = raw('tlsKey');
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    throw new ConfigError(
      tlsCert === undefined ? 'tlsCert' : 'tlsKey',
      `${CONFIG_ENV.tlsCert} and ${CONFIG_ENV.tlsKey} go together`,
    );
  }

  return Object.freeze({
    port,
    host,
    publicUrl,
    dataDir: resolve(cwd, raw('dataDir') ?? '.palaver'),
    apiKey,
    databaseUrl,
    logLevel,
    janusUrl,
    janusAdminKey,
    rtpPorts: parsePortRange(raw('rtpPorts')),
    publicIp: raw('publicIp'),
    stunServer: raw('stunServer'),
    turnServer,
    turnUser,
    turnPassword,
    tlsCert: tlsCert === undefined ? undefined : resolve(cwd, tlsCert),
    tlsKey: tlsKey === undefined ? undefined : resolve(cwd, tlsKey),
    tlsPort,
    sessionGraceMs: parseSeconds('sessionGraceMs', raw('sessionGraceMs'), 10),
    demo: parseSwitch('demo', raw('demo')),
    compositionConcurrency: parseConcurrency(raw('compositionConcurrency')),
    janusPpRecPath: raw('janusPpRecPath') ?? 'janus-pp-rec',
    ffmpegPath: raw('ffmpegPath') ?? 'ffmpeg',
    ffprobePath: raw('ffprobePath') ?? 'ffprobe',
    ...parseTelephony(raw),
  });
}

function parseConcurrency(value: string | undefined): number {
  const concurrency = Number(value ?? 0);
  if (!Number.isInteger(concurrency) || concurrency < 0 || concurrency > 64) {
    throw new ConfigError(
      'compositionConcurrency',
      'must be a whole number from 0 (cores − 1) to 64',
    );
  }
  return concurrency;
}

function parseTelephony(
  raw: (key: keyof Config) => string | undefined,
): Pick<
  Config,
  | 'regions'
  | 'regionCountryCodes'
  | 'callClaimTtlSecs'
  | 'telnyxApiUrl'
  | 'bridgeWorkers'
  | 'bridgeIdleMs'
> {
  const regions = parsePairs('regions', raw('regions'), /^[A-Za-z0-9_-]+$/, (url) => {
    if (!/^wss?:\/\/[^/]/.test(url)) {
      throw new ConfigError('regions', `"${url}" is not a ws:// or wss:// URL`);
    }
    return url.replace(/\/+$/, '');
  });
  const regionCountryCodes = parsePairs(
    'regionCountryCodes',
    raw('regionCountryCodes') ?? '1=us002,91=in002',
    /^\d{1,6}$/,
    (region) => region,
  );
  const ttl = Number(raw('callClaimTtlSecs') ?? 90);
  if (!Number.isFinite(ttl) || ttl < 0.1 || ttl > 3600) {
    throw new ConfigError('callClaimTtlSecs', 'must be a number of seconds (0.1-3600)');
  }
  const telnyxApiUrl = (raw('telnyxApiUrl') ?? 'https://api.telnyx.com').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/.test(telnyxApiUrl)) {
    throw new ConfigError('telnyxApiUrl', 'must be an http:// or https:// URL');
  }
  const workers = Number(raw('bridgeWorkers') ?? 0);
  if (!Number.isInteger(workers) || workers < 0 || workers > 64) {
    throw new ConfigError('bridgeWorkers', 'must be a whole number from 0 (one per core) to 64');
  }
  const idleMs = parseSeconds('bridgeIdleMs', raw('bridgeIdleMs'), 10);
  if (idleMs < 1000) {
    throw new ConfigError('bridgeIdleMs', 'must be at least 1 second');
  }
  return {
    regions,
    regionCountryCodes,
    callClaimTtlSecs: ttl,
    telnyxApiUrl,
    bridgeWorkers: workers,
    bridgeIdleMs: idleMs,
  };
}

/** `name=value,name=value` with names matching `nameFormat`. */
function parsePairs(
  setting: keyof Config,
  value: string | undefined,
  nameFormat: RegExp,
  check: (value: string) => string,
): Readonly<Record<string, string>> {
  const pairs: Record<string, string> = {};
  for (const item of (value ?? '').split(',')) {
    if (item.trim() === '') {
      continue;
    }
    const at = item.indexOf('=');
    const name = item.slice(0, at).trim();
    const target = item.slice(at + 1).trim();
    if (at < 0 || !nameFormat.test(name) || target === '') {
      throw new ConfigError(setting, `"${item.trim()}" is not a name=value pair`);
    }
    pairs[name] = check(target);
  }
  return Object.freeze(pairs);
}

function parsePort(
  setting: 'port' | 'tlsPort',
  value: string | undefined,
  fallback: number,
): number {
  if (value === undefined) {
    return fallback;
  }
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(setting, `"${value}" is not a port number (0-65535)`);
  }
  return port;
}

/** Seconds (decimals allowed) as milliseconds. */
function parseSeconds(setting: keyof Config, value: string | undefined, fallback: number): number {
  const seconds = value === undefined ? fallback : Number(value);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 3600) {
    throw new ConfigError(setting, `"${value}" is not a number of seconds (0-3600)`);
  }
  return Math.round(seconds * 1000);
}

/** `1`/`true`/`on`/`yes` or `0`/`false`/`off`/`no`; unset is off. */
function parseSwitch(setting: keyof Config, value: string | undefined): boolean {
  if (value === undefined) {
    return false;
  }
  const word = value.toLowerCase();
  if (['1', 'true', 'on', 'yes'].includes(word)) {
    return true;
  }
  if (['0', 'false', 'off', 'no'].includes(word)) {
    return false;
  }
  throw new ConfigError(setting, `"${value}" is neither 1 (on) nor 0 (off)`);
}

function parsePortRange(value: string | undefined): { min: number; max: number } {
  if (value === undefined) {
    return { min: 20000, max: 40000 };
  }
  const match = /^(\d+)\s*-\s*(\d+)$/.exec(value);
  const min = Number(match?.[1]);
  const max = Number(match?.[2]);
  if (match === null || min < 1024 || max > 65535 || max - min < 10) {
    throw new ConfigError(
      'rtpPorts',
      `"${value}" is not a port range like 20000-40000 (1024-65535, at least 10 ports)`,
    );
  }
  return { min, max };
}

/** The URL a client dials for a listener bound to `host` and `port`. */
export function listenerUrl(host: string, port: number): string {
  // A wildcard address is not something a client can dial.
  const dialable = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const hostPart = dialable.includes(':') ? `[${dialable}]` : dialable;
  return `http://${hostPart}:${port}`;
}

function parsePublicUrl(value: string | undefined): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('publicUrl', `"${value}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('publicUrl', 'must start with http:// or https://');
  }
  return url.toString().replace(/\/+$/, '');
}

function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}
