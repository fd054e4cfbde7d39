import { pino } from 'pino';
import type { Logger } from 'pino';
import type { LogLevel } from './config.js';

/** Palaver's JSON logger, to standard error so that standard output stays for the CLI's answers. */
export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { service: 'palaver' } }, pino.destination(2));
}
