// The rendezvous' per-request and per-assist state (server.ts acts on it).
import type { SocketAddr } from '../net/types.js';
import type { Retransmitter } from '../net/retransmit.js';
import type { PunchMode, SessionId, WireNat } from '../wire/messages.js';
import type { ClientRoute } from './cluster/hooks.js';

/** Who sent a request, and its size: an answer never carries more bytes (no amplification). */
export interface Request {
  readonly from: SocketAddr;
  readonly size: number;
  /** Set when another node received it (cluster): answers go back through the cluster. */
  readonly route?: ClientRoute;
}

export interface Session {
  readonly id: SessionId;
  readonly homeId: string;
  readonly client: SocketAddr;
  /** The client's assist tx, so the home's refusal reaches it as an answer. */
  readonly assistTx: number;
  readonly expiresAt: number;
  state: 'spraying' | 'ready';
  home: SocketAddr;
  homeLocals: SocketAddr[];
  mode: PunchMode;
  /** The home's NAT class as it registered it (issue 9), passed on in Ready. */
  homeNat: WireNat | undefined;
  peerInfo: Retransmitter;
  /** Set when the client talks to another node: Ready and refusals go back through the cluster. */
  readonly route?: ClientRoute;
}
