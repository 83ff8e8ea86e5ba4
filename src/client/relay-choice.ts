// How the client may use a relay (issue 10): the flags, and where each transport goes.
import type { SocketAddr } from '../net/types.js';
import type { RelayTarget } from '../relay/client-path.js';
import { formatAddr } from '../wire/addr.js';
import type { ConnectErrorKind } from './connect-error.js';

/** auto: when traversal cannot or does not work; only: never try a direct path; off: never relay. */
export type RelayMode = 'auto' | 'off' | 'only';
export type RelayTransport = RelayTarget['transport'];

export interface RelayChoice {
  mode: RelayMode;
  transport: RelayTransport;
  /** The relay's TCP/WS address; default: the rendezvous' host on the same port number. */
  addr?: SocketAddr;
}

/**
 * Failures after which a relayed path is the way: traversal cannot work (`needs-relay` comes from
 * the NAT classes, issue 9), or UDP is blocked (then only a TCP/WS relay can help).
 */
export function goRelayed(kind: string | undefined, transport: RelayTransport): boolean {
  const k = kind as ConnectErrorKind | 'needs-relay' | undefined;
  return k === 'no-path' || k === 'needs-relay' || (k === 'no-rendezvous' && transport !== 'udp');
}

export function relayTarget(choice: RelayChoice, rendezvous: SocketAddr): RelayTarget {
  const addr = choice.addr ?? rendezvous;
  if (choice.transport === 'udp') return { transport: 'udp', relay: choice.addr ?? rendezvous };
  if (choice.transport === 'tcp') return { transport: 'tcp', relay: addr };
  return { transport: 'ws', url: `ws://${formatAddr(addr)}/porthole` };
}
