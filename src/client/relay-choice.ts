// How the client may use a relay (issue 10): the flags, and where each transport goes.
import type { SocketAddr } from '../net/types.js';
import type { RelayTarget } from '../relay/client-path.js';
import { formatAddr } from '../wire/addr.js';
import type { ConnectErrorKind } from './connect-error.js';
import type { UpgradeTiming } from './upgrade.js';

/**
 * auto: traversal with a head start, the relay when it is slow or cannot work, then upgrade;
 * only: never try a direct path; off: never relay; first: relayed at once, then upgrade (tests).
 */
export type RelayMode = 'auto' | 'off' | 'only' | 'first';

/**
 * How long traversal runs alone before the relay is opened beside it. A cone pair connects in a
 * few round trips and the patent round within its 2 s punch timeout; past 1 s a user is waiting,
 * and the relay costs one round trip more, so it starts then (a relayed session moves onto the
 * direct path when the traversal finishes after all).
 */
export const RELAY_HEAD_START_MS = 1_000;
export type RelayTransport = RelayTarget['transport'];

export interface RelayChoice {
  mode: RelayMode;
  transport: RelayTransport;
  /** The relay's TCP/WS address; default: the rendezvous' host on the same port number. */
  addr?: SocketAddr;
  /** ws: the WebSocket URL to dial (a rendezvous' serverInfo wsUrl); default from addr. */
  url?: string;
  /** auto: traversal alone this long before the relay too (default RELAY_HEAD_START_MS). */
  headStartMs?: number;
  /** Timing of the background upgrade and fall-back (tests shorten it). */
  upgrade?: Partial<UpgradeTiming>;
  /**
   * A TCP/WS choice made because UDP was blocked (transport auto, the agent): how a session goes
   * back onto UDP once the rendezvous answers there again (upgrade.ts startUdpBack).
   */
  udpBack?: {
    /** The choice a UDP session would have used (mode, relay address). */
    choice: RelayChoice;
    probe(): Promise<boolean>;
    moved(): void;
  };
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
  return { transport: 'ws', url: choice.url ?? `ws://${formatAddr(addr)}/porthole` };
}
