// The rendezvous' configuration, options and stats (the behaviour is in server.ts).
import type { BindOptions, SocketAddr } from '../net/types.js';
import type { RetransmitOptions } from '../net/retransmit.js';
import type { RateLimitOptions } from '../util/rate-limit.js';
import type { RelayLimits } from '../relay/limits.js';
import type { RedirectTarget } from '../relay/redirect.js';
import type { RelayStats } from '../relay/stats.js';
import type { HomeRegistry } from './registry.js';
import type { RendezvousMetrics } from '../ops/metrics.js';
import type { ClusterHooks } from './cluster/hooks.js';
import type { StunServerConfig } from '../discovery/stun-responder.js';

export interface RendezvousConfig {
  /** A registration lives this long unless refreshed by a keepalive. */
  registrationTtlMs: number;
  maxHomes: number;
  /** Assist sessions in flight at once; past it new requests get Busy. */
  maxSessions: number;
  sessionTtlMs: number;
  /** PeerInfo is retransmitted to the home until its SprayDone arrives. */
  peerInfoRetransmit: RetransmitOptions;
  sweepIntervalMs: number;
  /** Every datagram, per source IP. */
  perIpLimit: RateLimitOptions;
  /** Assist requests per home (each one makes the home spray). */
  perHomeAssistLimit: RateLimitOptions;
  /** Refuse unsigned registrations of open (not key-derived) home ids. */
  requireSigned: boolean;
}

export const DEFAULT_RENDEZVOUS: RendezvousConfig = {
  registrationTtlMs: 90_000,
  maxHomes: 100_000,
  maxSessions: 10_000,
  sessionTtlMs: 30_000,
  peerInfoRetransmit: { rtoMs: 300, maxRtoMs: 1200, maxSends: 5 },
  sweepIntervalMs: 5_000,
  perIpLimit: { ratePerSec: 200, burst: 400, maxKeys: 100_000 },
  perHomeAssistLimit: { ratePerSec: 5, burst: 20, maxKeys: 100_000 },
  requireSigned: false,
};

export interface RendezvousOptions extends Partial<RendezvousConfig> {
  /** One address, or one per family (issue 13: `--listen` repeatable). */
  listen: BindOptions | readonly BindOptions[];
  /**
   * Answer STUN (issue 9) on the first listen socket: ports[0]/ips[0] are that address as clients
   * see it, ports[1] the alternate port, ips[1] an alternate IP (RFC 5780 tests). Absent: no STUN.
   */
  stun?: StunServerConfig;
  registry?: HomeRegistry;
  /** Cluster mode (issue 12): directory writes and cross-node assists. */
  cluster?: ClusterHooks;
  metrics?: RendezvousMetrics;
  /** Relayed sessions (issue 10): on by default over UDP with these limits; false = off. */
  relay?: Partial<RelayLimits> | false;
  /**
   * Relay placement (issue 10): a standalone relay node (`porthole relay`) that relays for this
   * rendezvous. Homes are told to register with it too; relayOpens are redirected to it.
   */
  relayNode?: RedirectTarget;
  /**
   * Ports of this node's relay TCP/WebSocket fronts (0 = none), named in cluster redirects for
   * the owner node too: the nodes of a cluster are assumed to run the same fronts.
   */
  relayFrontPorts?: { tcpPort: number; wsPort: number };
  /**
   * This node's public address when it cannot see it (behind a 1:1 NAT, or a cluster's
   * --advertise): registration proofs bound to it are taken (issue 21 item 4, docs/security.md).
   */
  advertise?: SocketAddr;
  /**
   * Where this node serves the phone app (issue 18: `rendezvous --web`, or `--web-url` behind a
   * proxy), e.g. "https://rv.example.net/". The relay seam's serverInfo announces it to homes
   * (docs/seams.md §8); unset = no app served here.
   */
  appUrl?: string;
}

export interface RendezvousStats {
  received: number;
  registrations: number;
  assists: number;
  readies: number;
  addrQueries: number;
  homes: number;
  sessions: number;
  dropped: Record<string, number>;
  relay?: RelayStats;
}
