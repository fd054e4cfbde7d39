import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { InvalidStateError } from '../errors.js';
import { JanusClient, type JanusClientOptions } from './JanusClient.js';
import {
  defaultJanusLibDir,
  generateJanusConfig,
  JANUS_CONFIG_FILE,
  JANUS_PLUGINS,
  JANUS_WEBSOCKETS_TRANSPORT,
  type JanusConfigOptions,
  type JanusModuleListing,
} from './JanusConfig.js';
import { JanusClosedError, JanusStartError } from './JanusErrors.js';
import type { JanusHandle } from './JanusHandle.js';
import type { JanusServerInfo } from './JanusMessages.js';
import { SafeEventEmitter } from '../SafeEventEmitter.js';

/** The generated config, minus what the supervisor fills in itself. */
export type EmbeddedJanusConfig = Omit<JanusConfigOptions, 'configDir' | 'libDir' | 'modules'> & {
  /** Folder with Janus's `plugins/`, `transports/`, … (default: Debian's for this architecture). */
  libDir?: string;
};

export interface EmbeddedJanusOptions {
  /** Janus's own folder under the data dir: generated config, pid file, working directory. */
  dir: string;
  config: EmbeddedJanusConfig;
  /** The executable (default `janus` on the PATH). */
  binary?: string;
}

export interface ExternalJanusOptions {
  /** `ws://…` of a Janus that someone else runs. */
  url: string;
  /** Its `api_secret`, if it has one. */
  apiSecret?: string;
}

export interface JanusRestartOptions {
  /** Delay before the first restart attempt (default 100 ms). */
  initialDelayMs?: number;
  /** Upper bound of the delay (default 30 s). */
  maxDelayMs?: number;
  /** Growth of the delay per failed attempt or quick crash (default 2). */
  factor?: number;
  /** A Janus that ran this long before dying restarts with the initial delay again (default 30 s). */
  stableAfterMs?: number;
}

export interface JanusHealthCheckOptions {
  /** Period of the probe (default 10 s). */
  intervalMs?: number;
  /** How long each probe may take (default 5 s). */
  timeoutMs?: number;
  /** Consecutive failed probes after which Janus is killed and restarted (default 2). */
  failures?: number;
}

export interface JanusSupervisorOptions {
  logger: Logger;
  /** Either run Janus as a child process … */
  embedded?: EmbeddedJanusOptions;
  /** … or use one that runs elsewhere. Exactly one of the two. */
  external?: ExternalJanusOptions;
  /** How long a start may take until Janus answers `info` (default 20 s). */
  startTimeoutMs?: number;
  /** How long `close()` waits after SIGTERM before SIGKILL (default 5 s). */
  stopTimeoutMs?: number;
  restart?: JanusRestartOptions;
  /**
   * Embedded only: a Janus whose process lives but whose plugins stopped answering (a stuck
   * plugin lock, see docs/janus.md) is killed and restarted. `false` turns the probe off.
   */
  healthCheck?: JanusHealthCheckOptions | false;
  /** Defaults for clients made by `createClient`. */
  client?: Pick<
    JanusClientOptions,
    'requestTimeoutMs' | 'keepaliveIntervalMs' | 'connectTimeoutMs'
  >;
}

export interface JanusReadyEvent {
  url: string;
  /** The child's pid (embedded only). */
  pid: number | undefined;
  serverInfo: JanusServerInfo;
  /** From spawn (or first connection attempt) until Janus answered `info`. */
  startMs: number;
}

export interface JanusExitEvent {
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface JanusRestartedEvent extends JanusReadyEvent {
  /** How many attempts this recovery took. */
  attempt: number;
  /** From the moment Janus was seen dead until it answered again. */
  downtimeMs: number;
}

export interface JanusUnresponsiveEvent {
  pid: number | undefined;
  /** Consecutive probes that failed. */
  failures: number;
  error: Error;
}

export interface JanusSupervisorEvents {
  /** The first start succeeded. */
  ready: [JanusReadyEvent];
  /** Janus died (embedded) or the connection to it was lost (external). */
  exited: [JanusExitEvent];
  /** Janus answers again after dying: its rooms and sessions are gone; re-create what was live. */
  restarted: [JanusRestartedEvent];
  /** Janus runs but its plugins stopped answering; it is killed (then `exited`, `restarted`). */
  unresponsive: [JanusUnresponsiveEvent];
  /** A restart attempt failed; the next one is scheduled after `nextDelayMs`. */
  restartFailed: [{ attempt: number; error: Error; nextDelayMs: number }];
  /** `close()` finished. */
  closed: [];
}

type State = 'idle' | 'starting' | 'running' | 'restarting' | 'closing' | 'closed';

interface HealthState {
  timer: NodeJS.Timeout;
  /** The probe's handles (one per plugin), opened lazily. */
  handles: Promise<JanusHandle[]> | undefined;
  failures: number;
}

const PID_FILE = 'janus.pid';
const LOG_TAIL = 30;

/**
 * Runs Janus: writes its config, starts it, waits until it answers, forwards its log, restarts
 * it with exponential backoff when it dies, and stops it on `close()`. With `external`, it only
 * watches a Janus run by someone else and reports when it comes back.
 */
export class JanusSupervisor extends SafeEventEmitter<JanusSupervisorEvents> {
  readonly #options: JanusSupervisorOptions;
  readonly #logger: Logger;
  readonly #url: string;
  readonly #apiSecret: string | undefined;
  readonly #clients = new Set<JanusClient>();
  #state: State = 'idle';
  #child: ChildProcess | undefined;
  #childExit: Promise<void> | undefined;
  #monitor: JanusClient | undefined;
  #serverInfo: JanusServerInfo | undefined;
  #runningSince = 0;
  #failures = 0;
  #recoveryTimer: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  #closePromise: Promise<void> | undefined;
  /** How the last child ended; cleared at each spawn. */
  #lastExit: JanusExitEvent | undefined;
  #health: HealthState | undefined;
  #probeClient: JanusClient | undefined;
  #probing = false;
  readonly #logTail: string[] = [];
  readonly #exitHook = (): void => {
    // The server is exiting without close(): never leave Janus behind.
    this.#child?.kill('SIGKILL');
  };

  constructor(options: JanusSupervisorOptions) {
    super((error, event) =>
      options.logger.error({ err: error, event }, 'janus supervisor listener failed'),
    );
    if ((options.embedded === undefined) === (options.external === undefined)) {
      throw new InvalidStateError('JanusSupervisor needs exactly one of embedded or external');
    }
    // Absolute, because the stale-process check compares it with Janus's command line.
    this.#options =
      options.embedded === undefined
        ? options
        : { ...options, embedded: { ...options.embedded, dir: resolve(options.embedded.dir) } };
    this.#logger = options.logger;
    if (options.embedded !== undefined) {
      const host = options.embedded.config.wsHost ?? '127.0.0.1';
      this.#url = `ws://${host.includes(':') ? `[${host}]` : host}:${options.embedded.config.wsPort}`;
      this.#apiSecret = options.embedded.config.apiSecret;
    } else {
      this.#url = options.external!.url;
      this.#apiSecret = options.external!.apiSecret;
    }
  }

  /** The Janus API WebSocket URL. */
  get url(): string {
    return this.#url;
  }

  /** The running child's pid (embedded only). */
  get pid(): number | undefined {
    return this.#child?.exitCode === null && this.#child.signalCode === null
      ? this.#child.pid
      : undefined;
  }

  get state(): State {
    return this.#state;
  }

  /** Janus's answer to `info` at the last (re)start. */
  get serverInfo(): JanusServerInfo | undefined {
    return this.#serverInfo;
  }

  /** Starts (or first reaches) Janus; resolves once it answers `info`. */
  async start(): Promise<JanusReadyEvent> {
    if (this.#state !== 'idle') {
      throw new InvalidStateError(`JanusSupervisor cannot start while ${this.#state}`);
    }
    this.#state = 'starting';
    try {
      const ready = await this.#launch();
      this.#enterRunning(ready);
      this.#logger.info(
        {
          url: ready.url,
          pid: ready.pid,
          startMs: ready.startMs,
          version: ready.serverInfo.version_string,
        },
        'janus ready',
      );
      this.safeEmit('ready', ready);
      return ready;
    } catch (error) {
      await this.#stopChild();
      if (this.#state === 'starting') {
        this.#state = 'idle';
      }
      throw error;
    }
  }

  /**
   * A new client of the current Janus. The supervisor owns it: `close()` closes it. It does not
   * survive a Janus restart; make a new one on `restarted`.
   */
  async createClient(options: Partial<JanusClientOptions> = {}): Promise<JanusClient> {
    if (this.#state !== 'running') {
      throw new InvalidStateError(`Janus is not running (${this.#state})`);
    }
    const client = await JanusClient.connect({
      logger: this.#logger,
      ...this.#options.client,
      ...(this.#apiSecret === undefined ? {} : { apiSecret: this.#apiSecret }),
      ...options,
      url: this.#url,
    });
    if (this.#isShuttingDown()) {
      client.close();
      throw new InvalidStateError('JanusSupervisor closed while connecting');
    }
    this.#clients.add(client);
    client.on('close', () => this.#clients.delete(client));
    return client;
  }

  /** Stops Janus (SIGTERM, then SIGKILL after `stopTimeoutMs`) and closes owned clients. Idempotent. */
  close(): Promise<void> {
    this.#closePromise ??= this.#close();
    return this.#closePromise;
  }

  async #close(): Promise<void> {
    this.#state = 'closing';
    if (this.#recoveryTimer !== undefined) {
      clearTimeout(this.#recoveryTimer.timer);
      this.#recoveryTimer.wake();
      this.#recoveryTimer = undefined;
    }
    for (const client of this.#clients) {
      client.close();
    }
    this.#clients.clear();
    this.#monitor?.close();
    this.#monitor = undefined;
    this.#stopHealthCheck();
    await this.#stopChild();
    this.#state = 'closed';
    this.safeEmit('closed');
    this.removeAllListeners();
  }

  // -------------------------------------------------------------------------------------------
  // Starting

  async #launch(): Promise<JanusReadyEvent> {
    const started = performance.now();
    let pid: number | undefined;
    if (this.#options.embedded !== undefined) {
      pid = await this.#spawn(this.#options.embedded);
    }
    const serverInfo = await this.#waitUntilAnswering(started);
    if (this.#options.external !== undefined) {
      await this.#watchExternal();
    } else if (this.#lastExit !== undefined) {
      // It answered, then died before the supervisor took note; its exit was ignored as "starting".
      throw new JanusStartError('Janus exited right after it started');
    }
    return { url: this.#url, pid, serverInfo, startMs: Math.round(performance.now() - started) };
  }

  async #spawn(embedded: EmbeddedJanusOptions): Promise<number> {
    const { dir } = embedded;
    await mkdir(dir, { recursive: true });
    await killStaleJanus(dir, this.#logger);
    const libDir = embedded.config.libDir ?? resolveJanusLibDir();
    const modules = await listModules(libDir);
    const files = generateJanusConfig({ ...embedded.config, configDir: dir, libDir, modules });
    for (const [name, text] of files) {
      // Write-then-rename so a crash never leaves Janus a half-written file.
      const path = join(dir, name);
      await writeFile(`${path}.tmp`, text, { mode: 0o600 });
      await rename(`${path}.tmp`, path);
    }
    for (const name of await readdir(dir)) {
      if (name.endsWith('.jcfg') && !files.has(name)) {
        // Left from an earlier config (say, an event handler since turned off).
        await rm(join(dir, name), { force: true });
      }
    }
    const binary = embedded.binary ?? 'janus';
    const args = [
      '--configs-folder',
      dir,
      '--config',
      join(dir, JANUS_CONFIG_FILE),
      '--pid-file',
      join(dir, PID_FILE),
      '--disable-colors',
    ];
    this.#logTail.length = 0;
    this.#lastExit = undefined;
    const child = spawn(binary, args, {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group: a Ctrl-C in the terminal reaches the server, which stops Janus in order.
      detached: true,
    });
    const spawned = new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid!));
      child.once('error', (error) =>
        reject(
          new JanusStartError(
            `cannot run ${binary} (is the janus package installed?): ${error.message}`,
            {
              cause: error,
            },
          ),
        ),
      );
    });
    const pid = await spawned;
    // Later errors (a failed kill) must not become unhandled 'error' events.
    child.on('error', (error) =>
      this.#logger.warn({ err: error, pid }, 'janus child process error'),
    );
    this.#child = child;
    this.#childExit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#onChildExit(child, code, signal);
        resolve();
      });
    });
    process.on('exit', this.#exitHook);
    this.#pipeLog(child, pid);
    this.#logger.info({ pid, dir, binary }, 'janus spawned');
    return pid;
  }

  #pipeLog(child: ChildProcess, pid: number): void {
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) {
        continue;
      }
      const lines = createInterface({ input: stream, crlfDelay: Infinity });
      lines.on('line', (line) => {
        if (line.trim() === '') {
          return;
        }
        this.#logTail.push(line);
        if (this.#logTail.length > LOG_TAIL) {
          this.#logTail.shift();
        }
        const level = janusLogLevel(line);
        this.#logger[level]({ janusPid: pid }, `janus: ${line}`);
      });
    }
  }

  /** Polls `info` until Janus answers with the plugins and transport Palaver needs. */
  async #waitUntilAnswering(started: number): Promise<JanusServerInfo> {
    const timeoutMs = this.#options.startTimeoutMs ?? 20_000;
    const deadline = started + timeoutMs;
    let lastError: unknown;
    for (;;) {
      if (this.#isShuttingDown()) {
        throw new JanusStartError('JanusSupervisor closed while Janus was starting');
      }
      const exit = this.#lastExit;
      if (this.#options.embedded !== undefined && exit !== undefined) {
        const how = exit.signal === null ? `code ${exit.code}` : `signal ${exit.signal}`;
        throw new JanusStartError(
          `Janus exited while starting (${how}); last log lines:\n${this.#logTail.join('\n')}`,
        );
      }
      try {
        const info = await probe(this.#url, this.#apiSecret);
        checkServerInfo(info);
        return info;
      } catch (error) {
        if (error instanceof JanusStartError) {
          throw error;
        }
        lastError = error;
      }
      if (performance.now() > deadline) {
        throw new JanusStartError(`Janus did not answer at ${this.#url} within ${timeoutMs} ms`, {
          cause: lastError,
        });
      }
      await sleep(50);
    }
  }

  async #watchExternal(): Promise<void> {
    const monitor = await JanusClient.connect({
      url: this.#url,
      logger: this.#logger,
      ...(this.#apiSecret === undefined ? {} : { apiSecret: this.#apiSecret }),
    });
    this.#monitor = monitor;
    monitor.on('close', ({ byClient }) => {
      if (byClient || this.#monitor !== monitor) {
        return;
      }
      this.#monitor = undefined;
      this.#onDown({ pid: undefined, code: null, signal: null });
    });
  }

  #isShuttingDown(): boolean {
    return this.#state === 'closing' || this.#state === 'closed';
  }

  #enterRunning(ready: JanusReadyEvent): void {
    this.#state = 'running';
    this.#serverInfo = ready.serverInfo;
    this.#runningSince = performance.now();
    this.#startHealthCheck();
  }

  // -------------------------------------------------------------------------------------------
  // Health check: the core may answer while a plugin is stuck, so each plugin is asked.

  #startHealthCheck(): void {
    const options = this.#options.healthCheck;
    if (this.#options.embedded === undefined || options === false) {
      return;
    }
    this.#stopHealthCheck();
    const timer = setInterval(
      () => void this.#probeHealth(),
      this.#healthOptions().intervalMs ?? 10_000,
    );
    timer.unref();
    this.#health = { timer, handles: undefined, failures: 0 };
  }

  #healthOptions(): JanusHealthCheckOptions {
    return this.#options.healthCheck || {};
  }

  #stopHealthCheck(): void {
    if (this.#health !== undefined) {
      clearInterval(this.#health.timer);
      this.#health = undefined;
    }
    // Closing the client closes the probe's session and handles with it.
    this.#probeClient?.close();
    this.#probeClient = undefined;
  }

  async #probeHealth(): Promise<void> {
    const health = this.#health;
    if (health === undefined || this.#probing || this.#state !== 'running') {
      return;
    }
    this.#probing = true;
    const timeoutMs = this.#healthOptions().timeoutMs ?? 5_000;
    try {
      health.handles ??= this.#openProbe(health, timeoutMs);
      const handles = await health.handles;
      await Promise.all(
        handles.map((handle) =>
          handle.message({ request: 'exists', room: 'palaver-health-probe' }, { timeoutMs }),
        ),
      );
      health.failures = 0;
    } catch (error) {
      if (this.#health !== health || this.#state !== 'running') {
        return;
      }
      // Start the next probe from a fresh connection.
      health.handles = undefined;
      this.#probeClient?.close();
      this.#probeClient = undefined;
      if (error instanceof JanusClosedError) {
        // The connection went away: Janus died (the exit handler restarts it) or dropped us.
        return;
      }
      health.failures++;
      const threshold = this.#healthOptions().failures ?? 2;
      this.#logger.warn({ err: error, failures: health.failures }, 'janus health probe failed');
      if (health.failures >= threshold) {
        const pid = this.pid;
        this.#logger.error(
          { pid, failures: health.failures },
          'janus stopped answering; killing it',
        );
        this.safeEmit('unresponsive', {
          pid,
          failures: health.failures,
          error: error instanceof Error ? error : new Error(String(error)),
        });
        this.#stopHealthCheck();
        this.#child?.kill('SIGKILL');
      }
    } finally {
      this.#probing = false;
    }
  }

  async #openProbe(health: HealthState, timeoutMs: number): Promise<JanusHandle[]> {
    this.#probeClient?.close();
    const client = await JanusClient.connect({
      url: this.#url,
      logger: this.#logger,
      requestTimeoutMs: timeoutMs,
      ...(this.#apiSecret === undefined ? {} : { apiSecret: this.#apiSecret }),
    });
    if (this.#health !== health) {
      // Stopped while connecting.
      client.close();
      throw new JanusClosedError('health check stopped');
    }
    this.#probeClient = client;
    const session = await client.createSession();
    return Promise.all(Object.values(JANUS_PLUGINS).map((plugin) => session.attach(plugin)));
  }

  // -------------------------------------------------------------------------------------------
  // Dying and restarting

  #onChildExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    this.#lastExit = { pid: child.pid, code, signal };
    if (this.#child === child) {
      this.#child = undefined;
      process.off('exit', this.#exitHook);
    }
    this.#stopHealthCheck();
    const event = { pid: child.pid, code, signal };
    if (this.#isShuttingDown()) {
      this.#logger.info(event, 'janus stopped');
      return;
    }
    if (this.#state !== 'running') {
      // Died during a (re)start: the launch in progress notices and reports it.
      return;
    }
    this.#onDown(event);
  }

  #onDown(event: JanusExitEvent): void {
    const uptime = performance.now() - this.#runningSince;
    const stableAfter = this.#options.restart?.stableAfterMs ?? 30_000;
    if (uptime >= stableAfter) {
      this.#failures = 0;
    }
    this.#logger.error({ ...event, uptimeMs: Math.round(uptime) }, 'janus died; restarting');
    this.#state = 'restarting';
    this.safeEmit('exited', event);
    void this.#recover();
  }

  async #recover(): Promise<void> {
    const downSince = performance.now();
    for (let attempt = 1; ; attempt++) {
      const delay = this.#nextDelay();
      await this.#pause(delay);
      if (this.#state !== 'restarting') {
        return;
      }
      try {
        const ready = await this.#launch();
        if (this.#state !== 'restarting') {
          return;
        }
        this.#enterRunning(ready);
        const event: JanusRestartedEvent = {
          ...ready,
          attempt,
          downtimeMs: Math.round(performance.now() - downSince),
        };
        this.#logger.info(
          { pid: event.pid, attempt, downtimeMs: event.downtimeMs, startMs: event.startMs },
          'janus restarted',
        );
        this.safeEmit('restarted', event);
        return;
      } catch (error) {
        await this.#stopChild();
        if (this.#state !== 'restarting') {
          return;
        }
        const nextDelayMs = this.#peekDelay();
        this.#logger.error({ err: error, attempt, nextDelayMs }, 'janus restart failed');
        this.safeEmit('restartFailed', {
          attempt,
          error: error instanceof Error ? error : new Error(String(error)),
          nextDelayMs,
        });
      }
    }
  }

  #peekDelay(): number {
    const restart = this.#options.restart ?? {};
    const initial = restart.initialDelayMs ?? 100;
    const max = restart.maxDelayMs ?? 30_000;
    const factor = restart.factor ?? 2;
    return Math.min(max, initial * factor ** this.#failures);
  }

  #nextDelay(): number {
    const delay = this.#peekDelay();
    this.#failures++;
    return delay;
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#recoveryTimer = undefined;
        resolve();
      }, ms);
      this.#recoveryTimer = { timer, wake: resolve };
    });
  }

  /** SIGTERM, then SIGKILL after the stop timeout; resolves when the child is gone. */
  async #stopChild(): Promise<void> {
    const child = this.#child;
    const exited = this.#childExit;
    if (child === undefined || exited === undefined) {
      return;
    }
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timeoutMs = this.#options.stopTimeoutMs ?? 5_000;
      const inTime = await Promise.race([
        exited.then(() => true),
        sleep(timeoutMs).then(() => false),
      ]);
      if (!inTime) {
        this.#logger.warn({ pid: child.pid, timeoutMs }, 'janus ignored SIGTERM; killing it');
        child.kill('SIGKILL');
        await exited;
      }
    } else {
      await exited;
    }
    if (this.#child === child) {
      this.#child = undefined;
    }
    process.off('exit', this.#exitHook);
  }
}

// ---------------------------------------------------------------------------------------------

/** Opens a connection, asks `info`, closes. */
async function probe(url: string, apiSecret: string | undefined): Promise<JanusServerInfo> {
  const client = await JanusClient.connect({
    url,
    connectTimeoutMs: 1_000,
    requestTimeoutMs: 2_000,
    ...(apiSecret === undefined ? {} : { apiSecret }),
  });
  try {
    return await client.info();
  } finally {
    client.close();
  }
}

function checkServerInfo(info: JanusServerInfo): void {
  const missing = [
    ...Object.values(JANUS_PLUGINS).filter((name) => info.plugins[name] === undefined),
    ...(info.transports[JANUS_WEBSOCKETS_TRANSPORT] === undefined
      ? [JANUS_WEBSOCKETS_TRANSPORT]
      : []),
  ];
  if (missing.length > 0) {
    throw new JanusStartError(`Janus runs without ${missing.join(', ')}`);
  }
}

/** Warnings Janus prints for choices the generated config makes on purpose. */
const EXPECTED_WARNINGS = [
  /has been disabled, skipping/,
  /Reclaim session timeouts have been disabled/,
  /mDNS resolution disabled/,
];

/** Janus prefixes warnings and errors; everything else is informational. */
function janusLogLevel(line: string): 'error' | 'warn' | 'info' {
  if (line.startsWith('[ERR]') || line.startsWith('[FATAL]')) {
    return 'error';
  }
  if (line.startsWith('[WARN]')) {
    return EXPECTED_WARNINGS.some((pattern) => pattern.test(line)) ? 'info' : 'warn';
  }
  return 'info';
}

/** Debian's multiarch folder, or the usual source-install places. */
export function resolveJanusLibDir(): string {
  const candidates = [
    defaultJanusLibDir(),
    '/usr/lib/janus',
    '/usr/local/lib/janus',
    '/opt/janus/lib/janus',
  ];
  return candidates.find((dir) => existsSync(join(dir, 'plugins'))) ?? defaultJanusLibDir();
}

async function listModules(libDir: string): Promise<JanusModuleListing> {
  const list = async (folder: string): Promise<string[]> => {
    try {
      return (await readdir(join(libDir, folder))).filter((name) => name.endsWith('.so'));
    } catch (error) {
      if (folder === 'plugins' || folder === 'transports') {
        throw new JanusStartError(
          `no Janus ${folder} in ${libDir} (is the janus package installed?)`,
          {
            cause: error,
          },
        );
      }
      return [];
    }
  };
  return {
    plugins: await list('plugins'),
    transports: await list('transports'),
    events: await list('events'),
    loggers: await list('loggers'),
  };
}

/**
 * A server killed with SIGKILL leaves its Janus running, holding the ports. Janus's pid file tells
 * which one; it is killed only if its command line names this very config folder.
 */
async function killStaleJanus(dir: string, logger: Logger): Promise<void> {
  let pid: number;
  try {
    pid = Number.parseInt((await readFile(join(dir, PID_FILE), 'utf8')).trim(), 10);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 1) {
    return;
  }
  let cmdline: string[];
  try {
    cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
  } catch {
    return;
  }
  if (!cmdline.some((arg) => arg.endsWith('janus')) || !cmdline.includes(dir)) {
    return;
  }
  logger.warn({ pid, dir }, 'killing a Janus left over by a previous run');
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) {
    await sleep(20);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
