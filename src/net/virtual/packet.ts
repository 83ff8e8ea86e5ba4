// What travels on the virtual network, and the two directions a node can be handed a packet.
import type { SocketAddr } from '../types.js';

export interface Packet {
  src: SocketAddr;
  dst: SocketAddr;
  /** Remaining IP TTL; every forwarding router decrements it and drops it at 1. */
  ttl: number;
  data: Uint8Array;
}

/** Something that owns IP addresses and accepts packets addressed to them from upstream. */
export interface Downstream {
  fromOutside(p: Packet): void;
}

/** Where a node sends its outbound packets (a NAT box or the internet). */
export interface Upstream {
  fromInside(p: Packet): void;
}
