// Option parsers for commander: each turns text into a typed value or throws
// InvalidArgumentError with a message that says what was expected.
import { InvalidArgumentError } from 'commander';
import { isIP } from 'node:net';
import type { SocketAddr } from '../net/types.js';
import { AddressError, parseAddr } from '../wire/addr.js';

export function addrArg(text: string): SocketAddr {
  try {
    return parseAddr(text);
  } catch (e) {
    throw new InvalidArgumentError(e instanceof AddressError ? e.message : String(e));
  }
}

/** Like addrArg but port 0 (any free port) is allowed, for --listen. */
export function listenArg(text: string): SocketAddr {
  try {
    return parseAddr(text, { allowPortZero: true });
  } catch (e) {
    throw new InvalidArgumentError(e instanceof AddressError ? e.message : String(e));
  }
}

export function ipArg(text: string): string {
  if (isIP(text) === 0) throw new InvalidArgumentError(`"${text}" is not an IP address`);
  return text;
}

export function intArg(min: number, max: number): (text: string) => number {
  return (text) => {
    if (!/^-?\d+$/.test(text)) throw new InvalidArgumentError(`"${text}" is not a whole number`);
    const n = Number(text);
    if (n < min || n > max) throw new InvalidArgumentError(`${n} is outside ${min}-${max}`);
    return n;
  };
}

export function homeIdArg(text: string): string {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(text)) {
    throw new InvalidArgumentError(
      `"${text}" is not a home id (1-64 characters of A-Z a-z 0-9 . _ -)`,
    );
  }
  return text;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function logLevelArg(text: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(text)) {
    throw new InvalidArgumentError(`"${text}" is not a log level (${LOG_LEVELS.join(', ')})`);
  }
  return text as LogLevel;
}

export function sprayTtlArg(text: string): number | 'auto' | 'os' {
  if (text === 'auto' || text === 'os') return text;
  return intArg(1, 255)(text);
}

export function resprayArg(text: string): number | 'auto' | 'off' {
  if (text === 'auto' || text === 'off') return text;
  return intArg(50, 10_000)(text);
}
