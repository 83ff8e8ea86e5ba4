// Structured logs (pino) on stderr, so stdout stays clean for --json output.
import { pino } from 'pino';
import type { Logger } from '../net/types.js';
import type { LogLevel } from './parse.js';

export function makeLogger(level: LogLevel, name: string): Logger {
  return pino({ name, level, base: { role: name } }, pino.destination({ fd: 2, sync: true }));
}
