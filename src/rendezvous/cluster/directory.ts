// The home directory in Redis: one key per home, `ph:home:<id>` → {node, node address, expiry},
// written with a TTL equal to the registration TTL. Registrations write at once; keepalives
// refresh at most once per refreshMs (default TTL/2) per home: with 20 s keepalives and a 90 s
// TTL that is one write per two keepalives, and the key still always outlives the next refresh
// (refreshMs + one keepalive period < TTL). Failed writes are forgotten so the next keepalive
// retries, and every throttle is reset when Redis comes back (it may have lost everything).
import type { Env, SocketAddr } from '../../net/types.js';
import type { ClusterMetrics } from '../../ops/metrics.js';
import type { RedisLink } from './redis.js';
import { encodeEntry, parseEntry, type DirectoryEntry } from './validate.js';

export const homeKey = (homeId: string): string => `ph:home:${homeId}`;

export interface DirectoryOptions {
  nodeId: string;
  advertise: SocketAddr;
  ttlMs: number;
  refreshMs: number;
  /** Wall clock (ms since epoch) for the expiry other nodes read; Date.now in production. */
  wallClock: () => number;
}

export class Directory {
  /** homeId → when we last wrote its entry (Env clock); swept every refreshMs. */
  private readonly written = new Map<string, number>();
  writes = 0;
  /** Called when a registration overwrote another node's entry: the home moved here. */
  onMoved: (homeId: string, previousNode: string) => void = () => {};

  constructor(
    private readonly env: Env,
    private readonly link: RedisLink,
    private readonly o: DirectoryOptions,
    private readonly metrics?: ClusterMetrics,
  ) {}

  /** force: a registration (write now); otherwise a keepalive (throttled). */
  publish(homeId: string, force: boolean): void {
    const now = this.env.clock.now();
    const last = this.written.get(homeId);
    if (!force && last !== undefined && now - last < this.o.refreshMs) return;
    if (!this.link.up) return;
    this.written.set(homeId, now);
    this.writes++;
    const value = encodeEntry({
      node: this.o.nodeId,
      addr: this.o.advertise,
      expiresAt: this.o.wallClock() + this.o.ttlMs,
    });
    const expiration = { type: 'PX', value: this.o.ttlMs } as const;
    this.link
      .run('set', (c) => c.set(homeKey(homeId), value, { expiration, GET: force }))
      .then((prev) => {
        if (typeof prev !== 'string' || prev === 'OK') return;
        const e = parseEntry(prev, this.o.wallClock(), this.o.ttlMs);
        if (e && e.node !== this.o.nodeId) this.onMoved(homeId, e.node);
      })
      .catch(() => this.written.delete(homeId));
  }

  /** The validated entry, null when absent; 'invalid' (counted) when the stored value is garbage. */
  async lookup(homeId: string): Promise<DirectoryEntry | null | 'invalid'> {
    const text = await this.link.run('get', (c) => c.get(homeKey(homeId)));
    if (text === null) return null;
    const e = parseEntry(text, this.o.wallClock(), this.o.ttlMs);
    if (!e) {
      this.metrics?.rejected('directory');
      this.env.log.warn({ home: homeId }, 'invalid directory entry in redis ignored');
      return 'invalid';
    }
    return e;
  }

  /**
   * The home said goodbye here (issue 21 item 9): its entry goes, unless it names another node
   * by now (the home moved; a get-then-del race with that move is harmless, the next
   * registration writes it again).
   */
  remove(homeId: string): void {
    this.written.delete(homeId);
    if (!this.link.up) return;
    this.lookup(homeId)
      .then((e) =>
        e && e !== 'invalid' && e.node !== this.o.nodeId
          ? undefined
          : this.link.run('del', (c) => c.del(homeKey(homeId))),
      )
      .catch(() => {}); // the key expires with its TTL anyway
  }

  /** After Redis returns: rewrite every home at its next keepalive. */
  forgetWrites(): void {
    this.written.clear();
  }

  sweep(): void {
    const cutoff = this.env.clock.now() - this.o.ttlMs;
    for (const [id, at] of this.written) if (at < cutoff) this.written.delete(id);
  }
}
