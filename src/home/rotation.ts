// The rendezvous nodes a home may register with (a cluster's nodes: several --rendezvous values,
// or one DNS name resolved to several A/AAAA records by the CLI). The registration talks to the
// current one and moves to the next when it stops answering (keepalives unanswered, or a whole
// registration round given up). The new node writes the cluster's directory entry, so every node
// finds the home again; with one node, advance() stays on it.

import type { SocketAddr } from '../net/types.js';
import { sameAddr } from '../wire/addr.js';

/** The nodes in a fixed order; advance() moves to the next one, wrapping around. */
export class RendezvousRotation {
  private readonly addrs: readonly SocketAddr[];
  private i = 0;

  constructor(addrs: readonly SocketAddr[]) {
    // Duplicates (a name and its address both given) would only slow a failover down.
    this.addrs = addrs.filter((a, i) => addrs.findIndex((b) => sameAddr(a, b)) === i);
    if (this.addrs.length === 0) throw new TypeError('at least one rendezvous address is needed');
  }

  current(): SocketAddr {
    return this.addrs[this.i] as SocketAddr;
  }

  advance(): SocketAddr {
    this.i = (this.i + 1) % this.addrs.length;
    return this.current();
  }

  get size(): number {
    return this.addrs.length;
  }
}
