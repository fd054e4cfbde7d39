import type { LogLevel } from './types.js';

const RANK: Readonly<Record<LogLevel, number>> = {
  TRACE: 0,
  DEBUG: 1,
  INFO: 2,
  TIME: 3,
  WARN: 4,
  ERROR: 5,
  OFF: 6,
};

/** The SDK's console logger: one per room and module, filtered by the room's `logLevel`. */
export class Logger {
  readonly #prefix: string;
  readonly #rank: number;

  constructor(name: string, level: LogLevel = 'WARN') {
    this.#prefix = `palaver-video [${name}]`;
    this.#rank = RANK[level];
  }

  /** A logger for another module of the same room. */
  child(name: string): Logger {
    return new Logger(name, levelOfRank(this.#rank));
  }

  trace(...args: unknown[]): void {
    if (this.#rank <= RANK.TRACE) {
      // eslint-disable-next-line no-console
      console.debug(this.#prefix, ...args);
    }
  }

  debug(...args: unknown[]): void {
    if (this.#rank <= RANK.DEBUG) {
      // eslint-disable-next-line no-console
      console.debug(this.#prefix, ...args);
    }
  }

  info(...args: unknown[]): void {
    if (this.#rank <= RANK.INFO) {
      // eslint-disable-next-line no-console
      console.info(this.#prefix, ...args);
    }
  }

  warn(...args: unknown[]): void {
    if (this.#rank <= RANK.WARN) {
      // eslint-disable-next-line no-console
      console.warn(this.#prefix, ...args);
    }
  }

  error(...args: unknown[]): void {
    if (this.#rank <= RANK.ERROR) {
      // eslint-disable-next-line no-console
      console.error(this.#prefix, ...args);
    }
  }
}

/** Checks a `logLevel` option. */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && Object.hasOwn(RANK, value);
}

function levelOfRank(rank: number): LogLevel {
  return (Object.keys(RANK) as LogLevel[]).find((level) => RANK[level] === rank) ?? 'WARN';
}
