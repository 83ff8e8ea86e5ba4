// The connector's configuration, options, step events and result shapes.
import type { SocketAddr } from '../net/types.js';
import type { RetransmitOptions } from '../net/retransmit.js';
import { DEFAULT_PORT_RANGE, type PortRange } from '../punch/spray.js';
import type { ConnectError, ConnectErrorKind } from './connect-error.js';
import type { Connection } from './connection.js';
import type { NatClass } from '../discovery/nat-class.js';

export interface ConnectConfig {
  /** M: extra sockets that each knock on the home's mapped port (patent: 500). */
  sockets: number;
  /** "Several" knocks from the first socket on the home's mapped port (the cone case). */
  probes: number;
  probeSpacingMs: number;
  /** Socket opening pace: this many, then wait socketPaceMs (cheap routers drop bursts). */
  socketBatch: number;
  socketPaceMs: number;
  /** Each knocking socket sends its probe this many times, socketRepeatMs apart (loss). */
  socketProbeRepeats: number;
  socketRepeatMs: number;
  /** After Ready: how long to wait for the home to answer before a new round. */
  punchTimeoutMs: number;
  /** After the assist ack: how long to wait for Ready. */
  readyTimeoutMs: number;
  /** Assisted rounds (patent step 5 loops back to step 2) before giving up. */
  rounds: number;
  directTimeoutMs: number;
  directProbes: number;
  assistRetransmit: RetransmitOptions;
  /** Keepalive period of the established path. */
  keepaliveMs: number;
  /** Skip step 1 even when a direct address is known. */
  forceAssist: boolean;
  /**
   * Every second round swaps roles (the client sprays ports of the home's IP, the home knocks
   * from many sockets): the way in when the home is the symmetric side.
   */
  reverseRounds: boolean;
  /** N for reversed rounds: ports of the home's IP the client sprays. */
  reverseSpray: number;
  /** Ports the client's spray draws from in reversed rounds (as the home's portRange). */
  portRange: PortRange;
}

export const DEFAULT_CONNECT: ConnectConfig = {
  sockets: 500,
  probes: 3,
  probeSpacingMs: 20,
  socketBatch: 50,
  socketPaceMs: 2,
  socketProbeRepeats: 2,
  socketRepeatMs: 400,
  punchTimeoutMs: 2000,
  readyTimeoutMs: 3000,
  rounds: 3,
  directTimeoutMs: 400,
  directProbes: 3,
  assistRetransmit: { rtoMs: 300, maxRtoMs: 1200, maxSends: 5 },
  keepaliveMs: 15_000,
  forceAssist: false,
  reverseRounds: true,
  reverseSpray: 750,
  portRange: DEFAULT_PORT_RANGE,
};

export type StepName = 'direct' | 'assist' | 'spray' | 'knock' | 'settle';

export interface StepEvent {
  /** Patent step number 1-5. */
  step: 1 | 2 | 3 | 4 | 5;
  /**
   * What happens in the step (docs/method.md's verbs). Patent rounds: 3 spray (home), 4 knock
   * (client). Reversed rounds swap the verbs: 3 knock (home, from many sockets), 4 spray (client).
   */
  name: StepName;
  /** ms since connect() started. */
  atMs: number;
  detail: string;
}

export interface ConnectOptions extends Partial<ConnectConfig> {
  home: string;
  rendezvous: SocketAddr;
  direct?: SocketAddr;
  /** Local IP for every client socket (default: any). */
  bindIp?: string;
  onStep?: (e: StepEvent) => void;
  /**
   * Issue 9: classify our NAT against the rendezvous's STUN beside the connect (never holding an
   * assist back; bounded by discoveryMs) and send the class with the assists once known, so the
   * rendezvous picks the method (client/nat-probe.ts).
   */
  discovery?: boolean;
  /** Our class when already known (a cache): no classification, the class goes out as is. */
  nat?: NatClass;
  /** The public IP `nat` was learned behind: if the rendezvous sees another, it is re-learned. */
  natPublicIp?: string;
  /** Classification deadline (default 2500 ms). */
  discoveryMs?: number;
  /**
   * Called when a classification ends, with the class (unknown when it failed), the public IP
   * it saw (to cache them) and the STUN requests sent so far. With it set, a classification
   * outlives the connect (≤ discoveryMs).
   */
  onNat?: (nat: NatClass, publicIp: string | undefined, stunSent: number) => void;
  /** Called when a classification starts (onNat follows). */
  onNatStart?: () => void;
  /** Signs assist requests (porthole client --state); without it the request is anonymous. */
  trust?: ClientTrust;
}

export interface ClientTrust {
  /** Proof over (home, session, the client's address as the rendezvous sees it). */
  assistAuth(homeId: string, session: string, observed: SocketAddr): Uint8Array;
  /** Issue 13: proof for a candidates query, over the client's own list (as encoded). */
  candidatesAuth?(homeId: string, session: string, list: Uint8Array): Uint8Array;
}

export interface ConnectReport {
  /** Issue 13 adds 'ipv6' (the IPv6 knock won) and 'mapped' (the router-mapped address answered). */
  path: 'direct' | 'punched' | 'ipv6' | 'mapped';
  ms: number;
  steps: Record<string, number>;
  attempts: number;
  packetsSent: number;
  socketsOpened: number;
  home: string;
  clientObserved?: string;
  winner?: 'first-socket' | 'extra-socket';
  /** A path was remembered (resume.ts): true if it worked, false if the full connect ran. */
  resumed?: boolean;
  /** Issue 9: the last round's method (punch/strategy.ts) and each side's NAT class, as labels. */
  strategy?: string;
  homeNat?: string;
  clientNat?: string;
  /** STUN requests our classification sent (not in packetsSent; 0 with a cached class). */
  discoveryPackets?: number;
}

/** A failed connect claims no path (and no winning socket): what was tried and learned only. */
export type FailureReport = Omit<ConnectReport, 'path' | 'winner'>;

export function withoutPath(r: ConnectReport): FailureReport {
  const out: Partial<ConnectReport> = { ...r };
  delete out.path;
  delete out.winner;
  return out as FailureReport;
}

export type ConnectResult =
  | { ok: true; report: ConnectReport; connection: Connection }
  | {
      ok: false;
      /** What went wrong, for code (tests match on this). */
      kind: ConnectErrorKind;
      /** The same, for people: derived from the kind (connect-error.ts). */
      error: string;
      cause: ConnectError;
      report: FailureReport;
    };
