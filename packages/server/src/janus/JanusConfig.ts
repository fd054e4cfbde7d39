import { ValidationError } from '../errors.js';

/**
 * Janus's configuration, generated. Everything here is pure: options in, file texts out. The
 * supervisor writes the files and starts Janus with `--configs-folder` pointing at them.
 */

/** The plugins Palaver drives; everything else Janus ships is disabled. */
export const JANUS_PLUGINS = {
  audiobridge: 'janus.plugin.audiobridge',
  videoroom: 'janus.plugin.videoroom',
  textroom: 'janus.plugin.textroom',
} as const;

export const JANUS_WEBSOCKETS_TRANSPORT = 'janus.transport.websockets';
export const JANUS_SAMPLE_EVENT_HANDLER = 'janus.eventhandler.sampleevh';

/** Shared-library file names of what Palaver loads. */
const WANTED = {
  plugins: ['libjanus_audiobridge.so', 'libjanus_videoroom.so', 'libjanus_textroom.so'],
  transports: ['libjanus_websockets.so'],
  events: ['libjanus_sampleevh.so'],
  loggers: [] as string[],
} as const;

/**
 * What Debian's `janus` 1.1.2 installs. Used when the supervisor cannot list the folders; the
 * supervisor normally passes the real listing so a newer package's extra modules are disabled too.
 */
export const DEBIAN_JANUS_MODULES: JanusModuleListing = {
  plugins: [
    'libjanus_audiobridge.so',
    'libjanus_duktape.so',
    'libjanus_echotest.so',
    'libjanus_lua.so',
    'libjanus_nosip.so',
    'libjanus_recordplay.so',
    'libjanus_sip.so',
    'libjanus_streaming.so',
    'libjanus_textroom.so',
    'libjanus_videocall.so',
    'libjanus_videoroom.so',
    'libjanus_voicemail.so',
  ],
  transports: [
    'libjanus_http.so',
    'libjanus_mqtt.so',
    'libjanus_nanomsg.so',
    'libjanus_pfunix.so',
    'libjanus_rabbitmq.so',
    'libjanus_websockets.so',
  ],
  events: [
    'libjanus_gelfevh.so',
    'libjanus_mqttevh.so',
    'libjanus_nanomsgevh.so',
    'libjanus_rabbitmqevh.so',
    'libjanus_sampleevh.so',
    'libjanus_wsevh.so',
  ],
  loggers: ['libjanus_jsonlog.so'],
};

/** The `.so` files found in each of Janus's module folders. */
export interface JanusModuleListing {
  plugins: readonly string[];
  transports: readonly string[];
  events: readonly string[];
  loggers: readonly string[];
}

export interface PortRange {
  min: number;
  max: number;
}

export interface JanusNatOptions {
  /** Public IP(s) written into host candidates (Janus `nat_1_1_mapping`); comma-separated allowed. */
  publicIp?: string;
  /** With `publicIp`: keep the private host candidate too. */
  keepPrivateHost?: boolean;
  /** STUN server Janus uses to learn its reflexive address, `host` or `host:port` (port 3478 by default). */
  stunServer?: string;
  /** TURN server for Janus's own relay candidates (only when Janus sits behind a strict firewall). */
  turn?: {
    server: string;
    port?: number;
    type?: 'udp' | 'tcp' | 'tls';
    user?: string;
    password?: string;
  };
  /**
   * Start even if the STUN/TURN server cannot be reached (default true): a media server that
   * refuses to start because the network is not up yet would keep every room down.
   */
  ignoreUnreachableIceServer?: boolean;
}

export interface JanusIceOptions {
  /** Only these interfaces/IP prefixes gather candidates (Janus `ice_enforce_list`). */
  enforceList?: readonly string[];
  /** Interfaces/IP prefixes never used (Janus `ice_ignore_list`; default `vmnet`). */
  ignoreList?: readonly string[];
  /** Drop `.local` (mDNS) remote candidates instead of resolving them (default true). */
  ignoreMdns?: boolean;
  /** Gather IPv6 candidates (default false). */
  ipv6?: boolean;
}

export interface JanusEventHandlerOptions {
  /** http(s) URL the sample event handler POSTs events to. */
  url: string;
  /** Sent as the HTTP basic-auth password (the handler supports nothing else). */
  secret: string;
  /** Basic-auth user name (default `janus`). */
  user?: string;
  /** Janus event mask (default: sessions, handles, plugins, webrtc, core). */
  events?: readonly JanusEventType[];
  /** One POST per batch of up to 100 events (default true). */
  grouping?: boolean;
  /** Retries of a failed POST (transport errors only; HTTP statuses are ignored by Janus). */
  maxRetransmissions?: number;
  /** First retry delay in ms, doubled each time. */
  retransmissionsBackoffMs?: number;
  /** Seconds between media statistics events; 0 disables them (default 0). */
  statsPeriodSecs?: number;
}

export type JanusEventType =
  | 'sessions'
  | 'handles'
  | 'jsep'
  | 'webrtc'
  | 'media'
  | 'plugins'
  | 'transports'
  | 'core'
  | 'external';

export interface JanusTalkDetection {
  /** Packets (20 ms each) per detection window. */
  activePackets: number;
  /** Talking when the window's average level in -dBov is below this (0 loud … 127 silent). */
  levelAverage: number;
}

export interface JanusConfigOptions {
  /** Folder the generated files live in (passed to Janus as `--configs-folder`). */
  configDir: string;
  /** Folder holding `plugins/`, `transports/`, `events/`, `loggers/` (see `defaultJanusLibDir`). */
  libDir: string;
  /** What the module folders contain; defaults to Debian's 1.1.2 package. */
  modules?: JanusModuleListing;
  /** Janus API WebSocket port; bound to `wsHost` only. */
  wsPort: number;
  /** Loopback address the WebSocket transport binds (default 127.0.0.1). */
  wsHost?: string;
  /** Key every room `create` must carry (plugin `admin_key`, all three plugins). */
  adminKey: string;
  /** Admin API secret; no Admin API transport is enabled, but Debian's well-known default is replaced. */
  adminSecret: string;
  /** If set, every Janus API request except info/ping must carry `apisecret`. */
  apiSecret?: string;
  /** UDP ports for WebRTC media. */
  rtpPorts: PortRange;
  /** UDP ports for AudioBridge plain-RTP legs (default: same as `rtpPorts`). */
  plainRtpPorts?: PortRange;
  /** Address AudioBridge binds and announces for plain-RTP legs (default 127.0.0.1). */
  plainRtpIp?: string;
  nat?: JanusNatOptions;
  ice?: JanusIceOptions;
  eventHandler?: JanusEventHandlerOptions;
  /** Shown as `name` in `info` and as `emitter` in events (default `palaver`). */
  serverName?: string;
  /** Janus log level 0-7 (default 4 = info). */
  debugLevel?: number;
  /** Seconds without a request before Janus drops a session (default 60). */
  sessionTimeoutSecs?: number;
  /** Seconds a session outlives its WebSocket for a `claim` (default 0 = destroyed at once). */
  reclaimSessionTimeoutSecs?: number;
  /** Folders Janus refuses to write recordings into. */
  protectedFolders?: readonly string[];
}

/** File name → contents. */
export type JanusConfigFiles = ReadonlyMap<string, string>;

export const JANUS_CONFIG_FILE = 'janus.jcfg';

const DEFAULT_EVENTS: readonly JanusEventType[] = [
  'sessions',
  'handles',
  'plugins',
  'webrtc',
  'core',
];

/**
 * Debian's list without `/var`: Palaver's data dir is often under `/var/lib`, and the owner
 * chooses the recording folders, not the browser.
 */
export const DEFAULT_PROTECTED_FOLDERS: readonly string[] = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/initrd',
  '/lib',
  '/lib32',
  '/lib64',
  '/proc',
  '/sbin',
  '/sys',
  '/usr',
];

const MULTIARCH: Partial<Record<NodeJS.Architecture, string>> = {
  x64: 'x86_64-linux-gnu',
  arm64: 'aarch64-linux-gnu',
  arm: 'arm-linux-gnueabihf',
  ia32: 'i386-linux-gnu',
  ppc64: 'powerpc64le-linux-gnu',
  s390x: 's390x-linux-gnu',
  riscv64: 'riscv64-linux-gnu',
  loong64: 'loongarch64-linux-gnu',
};

/** Where Debian installs Janus's modules on this architecture. */
export function defaultJanusLibDir(arch: NodeJS.Architecture = process.arch): string {
  const triplet = MULTIARCH[arch];
  return triplet === undefined ? '/usr/lib/janus' : `/usr/lib/${triplet}/janus`;
}

// ---------------------------------------------------------------------------------------------
// libconfig text

export type JcfgValue = string | number | boolean | readonly string[];
/** A section: key → value; `undefined` values are left out. */
export type JcfgSection = Readonly<Record<string, JcfgValue | undefined>>;
export type JcfgDocument = Readonly<Record<string, JcfgSection>>;

/** Quotes a string for libconfig; control characters are refused rather than escaped. */
export function jcfgString(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new ValidationError(
      `Janus config value contains a control character: ${JSON.stringify(value)}`,
    );
  }
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function jcfgValue(key: string, value: JcfgValue): string {
  if (typeof value === 'string') {
    return jcfgString(value);
  }
  if (typeof value === 'boolean') {
    return value ? 'true' : 'false';
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new ValidationError(`Janus config value ${key} must be an integer, got ${value}`);
    }
    return String(value);
  }
  return `[${value.map(jcfgString).join(', ')}]`;
}

/** Renders sections in order; keys must be libconfig names. */
export function renderJcfg(document: JcfgDocument, header?: string): string {
  const lines: string[] = [];
  if (header !== undefined) {
    for (const line of header.split('\n')) {
      lines.push(`# ${line}`.trimEnd());
    }
    lines.push('');
  }
  for (const [name, section] of Object.entries(document)) {
    assertName(name);
    lines.push(`${name}: {`);
    for (const [key, value] of Object.entries(section)) {
      if (value === undefined) {
        continue;
      }
      assertName(key);
      lines.push(`\t${key} = ${jcfgValue(key, value)}`);
    }
    lines.push('}', '');
  }
  return lines.join('\n');
}

function assertName(name: string): void {
  if (!/^[A-Za-z*][-A-Za-z0-9_*]*$/.test(name)) {
    throw new ValidationError(`not a libconfig setting name: ${JSON.stringify(name)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Validation helpers

function assertPort(name: string, port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ValidationError(`${name} must be a port number (1-65535), got ${port}`);
  }
}

function assertRange(name: string, range: PortRange): void {
  assertPort(`${name}.min`, range.min);
  assertPort(`${name}.max`, range.max);
  if (range.min > range.max) {
    throw new ValidationError(`${name}: min ${range.min} is above max ${range.max}`);
  }
}

function assertSecret(name: string, value: string): void {
  if (value.length < 16) {
    throw new ValidationError(`${name} must be at least 16 characters`);
  }
}

function rangeText(range: PortRange): string {
  return `${range.min}-${range.max}`;
}

/** Modules to disable: everything present that Palaver does not load. */
function disableList(present: readonly string[], wanted: readonly string[]): string | undefined {
  const list = present.filter((name) => !wanted.includes(name)).sort();
  return list.length === 0 ? undefined : list.join(',');
}

const HEADER = 'Generated by Palaver on every start; edits are overwritten.';

// ---------------------------------------------------------------------------------------------
// The files

/** `janus.jcfg`: core settings, module selection, NAT. */
export function janusCoreConfig(options: JanusConfigOptions): string {
  assertSecret('adminSecret', options.adminSecret);
  if (options.apiSecret !== undefined) {
    assertSecret('apiSecret', options.apiSecret);
  }
  assertRange('rtpPorts', options.rtpPorts);
  const modules = options.modules ?? DEBIAN_JANUS_MODULES;
  const nat = options.nat ?? {};
  const ice = options.ice ?? {};
  const stun = nat.stunServer === undefined ? undefined : splitHostPort(nat.stunServer, 3478);
  if (nat.turn?.port !== undefined) {
    assertPort('nat.turn.port', nat.turn.port);
  }
  const debugLevel = options.debugLevel ?? 4;
  if (!Number.isInteger(debugLevel) || debugLevel < 0 || debugLevel > 7) {
    throw new ValidationError(`debugLevel must be 0-7, got ${debugLevel}`);
  }
  const eventHandler = options.eventHandler;
  const libDir = options.libDir.replace(/\/+$/, '');

  return renderJcfg(
    {
      general: {
        configs_folder: options.configDir,
        plugins_folder: `${libDir}/plugins`,
        transports_folder: `${libDir}/transports`,
        events_folder: `${libDir}/events`,
        loggers_folder: `${libDir}/loggers`,
        // The supervisor reads stdout line by line and adds its own timestamps.
        log_to_stdout: true,
        debug_level: debugLevel,
        debug_timestamps: false,
        debug_colors: false,
        admin_secret: options.adminSecret,
        api_secret: options.apiSecret,
        server_name: options.serverName ?? 'palaver',
        session_timeout: options.sessionTimeoutSecs ?? 60,
        reclaim_session_timeout: options.reclaimSessionTimeoutSecs ?? 0,
        hide_dependencies: true,
        // Only the modules below are loaded; if one of them fails, Janus must not run without it.
        exit_on_dl_error: true,
        protected_folders: options.protectedFolders ?? DEFAULT_PROTECTED_FOLDERS,
        // Open recordings are named `.mjr.tmp` and renamed when closed, so a finished one is
        // recognisable by its name alone.
        recordings_tmp_ext: 'tmp',
      },
      certificates: {},
      media: {
        ipv6: ice.ipv6 ?? false,
        rtp_port_range: rangeText(options.rtpPorts),
      },
      nat: {
        nice_debug: false,
        stun_server: stun?.host,
        stun_port: stun?.port,
        nat_1_1_mapping: nat.publicIp,
        keep_private_host: nat.publicIp === undefined ? undefined : (nat.keepPrivateHost ?? false),
        turn_server: nat.turn?.server,
        turn_port: nat.turn === undefined ? undefined : (nat.turn.port ?? 3478),
        turn_type: nat.turn === undefined ? undefined : (nat.turn.type ?? 'udp'),
        turn_user: nat.turn?.user,
        turn_pwd: nat.turn?.password,
        ignore_unreachable_ice_server:
          stun === undefined && nat.turn === undefined
            ? undefined
            : (nat.ignoreUnreachableIceServer ?? true),
        ice_enforce_list: listText(ice.enforceList),
        ice_ignore_list: listText(ice.ignoreList ?? ['vmnet']),
        ignore_mdns: ice.ignoreMdns ?? true,
        full_trickle: false,
      },
      plugins: { disable: disableList(modules.plugins, WANTED.plugins) },
      transports: { disable: disableList(modules.transports, WANTED.transports) },
      loggers: { disable: disableList(modules.loggers, WANTED.loggers) },
      events:
        eventHandler === undefined
          ? { broadcast: false, disable: disableList(modules.events, []) }
          : {
              broadcast: true,
              disable: disableList(modules.events, WANTED.events),
              stats_period: eventHandler.statsPeriodSecs ?? 0,
            },
    },
    HEADER,
  );
}

/** `janus.transport.websockets.jcfg`: plain WebSocket on loopback, no Admin API. */
export function websocketsTransportConfig(options: JanusConfigOptions): string {
  assertPort('wsPort', options.wsPort);
  const host = options.wsHost ?? '127.0.0.1';
  if (!isLoopback(host)) {
    throw new ValidationError(`the Janus WebSocket must bind a loopback address, got ${host}`);
  }
  return renderJcfg(
    {
      general: {
        json: 'compact',
        ws: true,
        ws_port: options.wsPort,
        ws_ip: host,
        // Defence in depth on top of the loopback bind.
        ws_acl: host.includes(':') ? undefined : '127.',
        wss: false,
        ws_logging: 'err,warn',
      },
      admin: { admin_ws: false, admin_wss: false },
    },
    HEADER,
  );
}

function pluginGeneral(options: JanusConfigOptions): JcfgSection {
  assertSecret('adminKey', options.adminKey);
  return {
    admin_key: options.adminKey,
    string_ids: true,
    events: options.eventHandler !== undefined,
    // Forwarding media out of Janus is an admin action too.
    lock_rtp_forward: true,
  };
}

/** `janus.plugin.audiobridge.jcfg`. */
export function audiobridgeConfig(options: JanusConfigOptions): string {
  const ports = options.plainRtpPorts ?? options.rtpPorts;
  assertRange('plainRtpPorts', ports);
  return renderJcfg(
    {
      general: {
        ...pluginGeneral(options),
        lock_play_file: true,
        local_ip: options.plainRtpIp ?? '127.0.0.1',
        rtp_port_range: rangeText(ports),
      },
    },
    HEADER,
  );
}

/** `janus.plugin.videoroom.jcfg`. */
export function videoroomConfig(options: JanusConfigOptions): string {
  return renderJcfg({ general: pluginGeneral(options) }, HEADER);
}

/** `janus.plugin.textroom.jcfg`. */
export function textroomConfig(options: JanusConfigOptions): string {
  const general = pluginGeneral(options);
  return renderJcfg(
    {
      general: {
        admin_key: general.admin_key,
        string_ids: true,
        events: general.events,
        json: 'compact',
      },
    },
    HEADER,
  );
}

/**
 * `janus.eventhandler.sampleevh.jcfg`: POSTs events to Palaver. The handler's only way to
 * authenticate is HTTP basic auth, so the secret travels as the password; the receiver checks it
 * with `janusEventAuthorization`.
 */
export function sampleEventHandlerConfig(handler: JanusEventHandlerOptions): string {
  let url: URL;
  try {
    url = new URL(handler.url);
  } catch (cause) {
    throw new ValidationError(`eventHandler.url is not a URL: ${handler.url}`, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ValidationError(`eventHandler.url must be http(s), got ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new ValidationError('eventHandler.url must not carry credentials; use secret');
  }
  assertSecret('eventHandler.secret', handler.secret);
  const user = handler.user ?? 'janus';
  if (user.includes(':')) {
    throw new ValidationError('eventHandler.user must not contain ":"');
  }
  const events = handler.events ?? DEFAULT_EVENTS;
  return renderJcfg(
    {
      general: {
        enabled: true,
        events: events.length === 0 ? 'none' : events.join(','),
        grouping: handler.grouping ?? true,
        json: 'compact',
        backend: url.href,
        backend_user: user,
        backend_pwd: handler.secret,
        max_retransmissions: handler.maxRetransmissions ?? 5,
        retransmissions_backoff: handler.retransmissionsBackoffMs ?? 100,
      },
    },
    HEADER,
  );
}

/** Every file Janus needs, by file name. */
export function generateJanusConfig(options: JanusConfigOptions): JanusConfigFiles {
  const files = new Map<string, string>([
    [JANUS_CONFIG_FILE, janusCoreConfig(options)],
    ['janus.transport.websockets.jcfg', websocketsTransportConfig(options)],
    ['janus.plugin.audiobridge.jcfg', audiobridgeConfig(options)],
    ['janus.plugin.videoroom.jcfg', videoroomConfig(options)],
    ['janus.plugin.textroom.jcfg', textroomConfig(options)],
  ]);
  if (options.eventHandler !== undefined) {
    files.set('janus.eventhandler.sampleevh.jcfg', sampleEventHandlerConfig(options.eventHandler));
  }
  return files;
}

/** The `Authorization` header value the sample event handler sends. */
export function janusEventAuthorization(secret: string, user = 'janus'): string {
  return `Basic ${Buffer.from(`${user}:${secret}`, 'utf8').toString('base64')}`;
}

function splitHostPort(value: string, defaultPort: number): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(value.trim());
  if (match === null || match[1] === undefined) {
    throw new ValidationError(`not a host[:port]: ${value}`);
  }
  const port = match[2] === undefined ? defaultPort : Number(match[2]);
  assertPort(value, port);
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

function listText(list: readonly string[] | undefined): string | undefined {
  if (list === undefined || list.length === 0) {
    return undefined;
  }
  for (const item of list) {
    if (item.includes(',') || item.trim() === '') {
      throw new ValidationError(`ICE list entries must be non-empty and comma-free: ${item}`);
    }
  }
  return list.join(',');
}

function isLoopback(host: string): boolean {
  return host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
