// Command-line arguments of issue 13: --portmap, --ipv6, --candidates, repeatable --listen.
import { isIPv6 } from 'node:net';
import { InvalidArgumentError } from 'commander';
import { PORTMAP_MODES, type PortmapMode } from '../portmap/types.js';
import type { SocketAddr } from '../net/types.js';
import { listenArg } from './parse.js';

export function portmapArg(text: string): PortmapMode {
  const m = PORTMAP_MODES.find((x) => x === text);
  if (!m) throw new InvalidArgumentError(`"${text}": expected ${PORTMAP_MODES.join(' or ')}`);
  return m;
}

export function onOffArg(text: string): 'auto' | 'off' {
  if (text === 'auto' || text === 'off') return text;
  throw new InvalidArgumentError(`"${text}": expected auto or off`);
}

/** 'auto', 'off', or one literal IPv6 address (no zone: link-local is never a candidate). */
export function ipv6Arg(text: string): string {
  if (text === 'auto' || text === 'off' || (isIPv6(text) && !text.includes('%'))) return text;
  throw new InvalidArgumentError(`"${text}": expected auto, off or an IPv6 address`);
}

/** Repeatable --listen: the first use replaces the default. */
export function listenRepeat(text: string, prev: SocketAddr[] | undefined): SocketAddr[] {
  const a = listenArg(text);
  if (/^::ffff:/i.test(a.ip) || a.ip === '::')
    throw new InvalidArgumentError(
      `"${text}": listen on an explicit address per family (no :: or ::ffff:)`,
    );
  return [...(prev ?? []), a];
}
