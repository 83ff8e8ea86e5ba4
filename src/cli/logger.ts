// Structured logs (pino) on stderr, so stdout stays clean for --json output.
import { createRequire } from 'node:module';
import type { Logger } from '../net/types.js';
import type { LogLevel } from './parse.js';

type Pino = typeof import('pino');

/** pino loads with the first logger (a command that logs nothing, like `--help`, skips it). */
export function makeLogger(level: LogLevel, name: string): Logger {
  const { pino } = createRequire(import.meta.url)('pino') as Pino;
  return pino({ name, level, base: { role: name } }, pino.destination({ fd: 2, sync: true }));
}
