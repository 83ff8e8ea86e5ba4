// The home agent's configuration, options and stats (the shapes; the behaviour is in agent.ts).
import type { BindOptions, SocketAddr } from '../net/types.js';
import type { RetransmitOptions } from '../net/retransmit.js';
import { DEFAULT_PORT_RANGE, type PortRange } from '../punch/spray.js';
import type { MessageOf } from '../wire/messages.js';
import type { ServerBinding } from '../secure/auth.js';
import type { HomeMetrics } from '../ops/metrics.js';
import type { CandidateOptions, CandidateStatus } from './candidates.js';

export interface HomeConfig {
  /** N: ports of the client's IP sprayed besides its observed port (patent: 500). */
  spray: number;
  /**
   * IP TTL of hole-opening packets: a number, 'auto' (one less than the measured hop distance to
   * the rendezvous, at least 2; see hop-meter.ts), or 'os' for the OS default.
   */
  sprayTtl: number | 'auto' | 'os';
  /** Spray pacing: this many datagrams, then wait sprayPaceMs. */
  sprayBatch: number;
  sprayPaceMs: number;
  /**
   * After the spray, the packet to the client's observed port is sent again at these delays
   * (full TTL). By then the client has knocked, so an address-restricted client NAT lets it in;
   * this is what makes a symmetric home reachable from a full- or restricted-cone client.
   */
  repunchDelaysMs: number[];
  /**
   * Spray N fresh ports again at full TTL once the client has knocked ('auto': twice our RTT to
   * the rendezvous plus 200 ms, 0.3-3 s; 'off': the patent's single spray). Ports the client's
   * sockets already mapped let the packets straight in, and a spray after the mappings exist
   * cannot block them, so this works whatever the hop counts and router firewalls are; it also
   * doubles the birthday draw.
   */
  respray: 'auto' | 'off' | number;
  /** Reversed rounds: sockets the home knocks from, and how long they wait for the client. */
  reverseSockets: number;
  reverseWindowMs: number;
  portRange: PortRange;
  /** Keepalive period towards the rendezvous; well inside common 30 s UDP NAT timeouts. */
  keepaliveMs: number;
  registerRetransmit: RetransmitOptions;
  /** Pause before a new registration round after one gave up entirely. */
  reregisterBackoffMs: number;
  sprayDoneRetransmit: RetransmitOptions;
  /** Sprays running at once; further PeerInfo waits for the rendezvous to retransmit. */
  maxConcurrentSprays: number;
  /** Sessions remembered so a retransmitted PeerInfo is answered without spraying again. */
  sessionMemory: number;
  /** Peers (clients that reached us) remembered at once, and their idle expiry. */
  maxPeers: number;
  peerIdleMs: number;
}

export const DEFAULT_HOME: HomeConfig = {
  spray: 500,
  sprayTtl: 'auto',
  sprayBatch: 100,
  sprayPaceMs: 1,
  repunchDelaysMs: [600, 1200],
  respray: 'auto',
  reverseSockets: 500,
  reverseWindowMs: 5000,
  portRange: DEFAULT_PORT_RANGE,
  keepaliveMs: 20_000,
  registerRetransmit: { rtoMs: 500, maxRtoMs: 4000, maxSends: 6 },
  reregisterBackoffMs: 5_000,
  sprayDoneRetransmit: { rtoMs: 300, maxRtoMs: 1200, maxSends: 5 },
  maxConcurrentSprays: 4,
  sessionMemory: 1024,
  maxPeers: 256,
  peerIdleMs: 120_000,
};

export interface HomeOptions extends Partial<HomeConfig> {
  id: string;
  rendezvous: SocketAddr;
  /**
   * Cluster failover (issue 12): further nodes of the same cluster, tried in turn after
   * `rendezvous` when the current node stops answering (see rotation.ts).
   */
  rendezvousNodes?: readonly SocketAddr[];
  /** Prometheus counters (porthole home --metrics); off when absent. */
  metrics?: HomeMetrics;
  /**
   * Classify the home's NAT against the rendezvous's STUN (issue 9) at start and when the
   * observed address moves; the class goes out with each registration. Default off.
   */
  discovery?: boolean;
  listen?: BindOptions;
  /** This home's LAN IPs; with the bound port they are offered to clients behind the same public IP. */
  localIps?: string[];
  /**
   * Trust (porthole home --state): signs registrations, and decides on each assist before a
   * single spray packet leaves. Without it the home is open: it sprays for anyone (lab/demo).
   */
  trust?: HomeTrust;
  /** Issue 13: router port mapping and the IPv6 socket (default: both auto). */
  candidates?: CandidateOptions;
}

export interface HomeTrust {
  /** `server`: the server the proof is for (it is bound to it: issue 21 item 4). */
  registrationAuth(homeId: string, server?: ServerBinding): Uint8Array;
  /** The signed goodbye for one server (issue 21 item 9); absent: an open home's empty one. */
  deregistrationAuth?(homeId: string, server: ServerBinding): Uint8Array;
  authorizeAssist(msg: MessageOf<'peerInfo'>): { ok: true } | { ok: false; reason: string };
  /** A relayed session (issue 10), let in exactly as an assist; without it relays are refused. */
  authorizeRelay?(msg: MessageOf<'relayOffer'>): { ok: true } | { ok: false; reason: string };
  /** Issue 13: may this client learn the home's candidates? Absent: refused (a secure home). */
  authorizeCandidates?(
    msg: MessageOf<'candidatesQuery'>,
  ): { ok: true } | { ok: false; reason: string };
}

export interface HomeStats {
  registered: boolean;
  observed: string | undefined;
  sprays: number;
  hopDistance: number | undefined;
  sprayTtl: number | undefined;
  packetsSent: number;
  probesAnswered: number;
  peers: number;
  /** Peers that moved to a new address mid-session (an authenticated frame from it). */
  peersMoved: number;
  dropped: Record<string, number>;
  /** Issue 13: port mapping state, the IPv6 candidate, knocks sent from it. */
  candidates: CandidateStatus;
  /** Relayed sessions: offers, accepted, refused, dropped frames, live now. */
  relayed?: { offers: number; accepted: number; refused: number; dropped: number; live: number };
}
