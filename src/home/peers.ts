// Clients that reached the home: answering their probes (the one place a probe is answered),
// remembering them (bounded, idle expiry), and the links of clients reached through a reversed
// round, which talk to the knock-back socket they found rather than the main one.
import type { Env, SocketAddr } from '../net/types.js';
import type { DropCounter, MessageSocket } from '../net/message-socket.js';
import { RateLimiter } from '../util/rate-limit.js';
import { addrKey } from '../wire/addr.js';
import type { MessageOf } from '../wire/messages.js';
import type { HomeConfig } from './config.js';

export class Peers {
  private readonly peers = new Map<string, { addr: SocketAddr; lastSeen: number }>();
  private readonly links = new Map<string, MessageSocket>();
  /** A client knocks from up to ~500 sockets of one IP at once; more than that is abuse. */
  private readonly probeLimit = new RateLimiter({ ratePerSec: 200, burst: 1200, maxKeys: 4096 });
  probesAnswered = 0;

  constructor(
    private readonly env: Env,
    private readonly cfg: HomeConfig,
    private readonly homeId: string,
    private readonly drops: DropCounter,
  ) {}

  get size(): number {
    return this.peers.size;
  }

  /** Answers a client's probe from `sock` and remembers the client; false if it was refused. */
  answerProbe(sock: MessageSocket, msg: MessageOf<'probe'>, from: SocketAddr): boolean {
    if (msg.homeId !== this.homeId) {
      this.drops.count('probe-wrong-home');
      return false;
    }
    if (!this.probeLimit.take(from.ip, this.env.clock.now())) {
      this.drops.count('probe-rate-limited');
      return false;
    }
    this.probesAnswered++;
    this.touch(from, true);
    sock.send({ type: 'probeReply', tx: msg.tx, session: msg.session }, from);
    return true;
  }

  /** The socket `to` talks to, if it came in through a reversed round. */
  linkFor(to: SocketAddr): MessageSocket | undefined {
    return this.links.get(addrKey(to));
  }

  /** `sock` carries the link to `from` now; returns false if it already did. */
  adoptLink(from: SocketAddr, sock: MessageSocket): boolean {
    const key = addrKey(from);
    const old = this.links.get(key);
    if (old === sock) return false;
    old?.close();
    this.links.set(key, sock);
    return true;
  }

  /** Application data is accepted from known peers only (on their link, if they have one). */
  acceptsData(from: SocketAddr, via: MessageSocket | 'main'): boolean {
    if (via !== 'main' && this.links.get(addrKey(from)) !== via) return false;
    return this.touch(from, false);
  }

  /** Remember a peer that proved reachability with a probe; returns whether it is known. */
  private touch(addr: SocketAddr, create: boolean): boolean {
    const now = this.env.clock.now();
    const key = addrKey(addr);
    const peer = this.peers.get(key);
    if (peer && now - peer.lastSeen <= this.cfg.peerIdleMs) {
      peer.lastSeen = now;
      return true;
    }
    if (!create) return false;
    if (this.peers.size >= this.cfg.maxPeers) {
      // Evict the least recently seen peer (Map keeps insertion order; re-insert on touch).
      const oldest = this.peers.keys().next().value;
      if (oldest !== undefined) {
        this.peers.delete(oldest);
        this.links.get(oldest)?.close();
        this.links.delete(oldest);
      }
    }
    this.peers.delete(key);
    this.peers.set(key, { addr, lastSeen: now });
    return true;
  }

  close(): void {
    for (const l of this.links.values()) l.close();
    this.links.clear();
  }
}
