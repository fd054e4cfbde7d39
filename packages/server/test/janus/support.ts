import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import {
  JanusSupervisor,
  type EmbeddedJanusConfig,
  type JanusSupervisorOptions,
  type PortRange,
} from '../../src/janus/index.js';
import { freeLoopbackPort } from '../../src/net/freeLoopbackPort.js';

/** A TCP port nobody listens on right now. */
export const freePort = freeLoopbackPort;

export interface LogRecord {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A pino logger that keeps every record in memory. */
export function memoryLogger(): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write(line: string): void {
        records.push(JSON.parse(line) as LogRecord);
      },
    },
  );
  return { logger, records };
}

export function secret(): string {
  return randomBytes(24).toString('base64url');
}

export async function tempDir(
  prefix: string,
): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `palaver-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface TestJanus {
  supervisor: JanusSupervisor;
  adminKey: string;
  dir: string;
  records: LogRecord[];
  stop: () => Promise<void>;
}

/**
 * An embedded Janus in its own temp dir on a free WebSocket port. Each test file passes its own
 * RTP range so files running in parallel never compete for UDP ports.
 */
export async function startTestJanus(
  rtpPorts: PortRange,
  overrides: Partial<EmbeddedJanusConfig> = {},
  options: Partial<JanusSupervisorOptions> = {},
): Promise<TestJanus> {
  const dir = await tempDir('janus');
  const { logger, records } = memoryLogger();
  const adminKey = secret();
  const supervisor = new JanusSupervisor({
    logger,
    embedded: {
      dir: dir.path,
      config: {
        wsPort: await freePort(),
        adminKey,
        adminSecret: secret(),
        rtpPorts,
        debugLevel: 4,
        ...overrides,
      },
    },
    restart: { initialDelayMs: 50 },
    stopTimeoutMs: 3_000,
    ...options,
  });
  await supervisor.start();
  return {
    supervisor,
    adminKey,
    dir: dir.path,
    records,
    stop: async () => {
      await supervisor.close();
      await dir.remove();
    },
  };
}

/** Whether a process with this pid exists (and is not a zombie). */
export async function processAlive(pid: number): Promise<boolean> {
  try {
    const { readFile } = await import('node:fs/promises');
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return !/^State:\s+Z/m.test(status);
  } catch {
    return false;
  }
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
