// A NAT box with RFC 4787 behaviour as parameters: mapping, filtering, port allocation, mapping
// lifetime, hairpinning, and the two Linux facts measured on real kernels (docs/design.md): a packet whose TTL expires
// at the router leaves no state, and (without the usual "drop unsolicited" firewall) an
// unsolicited inbound packet leaves conntrack state that stops the router from ever allocating
// that external port for a new flow towards that same remote endpoint.
//
// Every packet of a simulated punch crosses one or two of these, so lookups use numeric keys
// (an interned IP id × 65536 + port) instead of strings, and packets are rewritten in place.
import type { SocketAddr } from '../types.js';
import type { VirtualClock } from './clock.js';
import type { DropCounter } from '../drops.js';
import type { Downstream, Packet, Upstream } from './packet.js';
import type { SeededRandom } from './rng.js';

export type Dependence =
  'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent';
export type Allocation = 'preserving' | 'sequential' | 'random';

export interface NatBehaviour {
  mapping: Dependence;
  filtering: Dependence;
  allocation: Allocation;
  portLo: number;
  portHi: number;
  /** Idle time after which a mapping is forgotten, ms. Outbound and admitted inbound refresh it. */
  mappingLifetimeMs: number;
  hairpin: boolean;
  /** Drops unsolicited inbound packets before they leave any state (home routers do). */
  firewall: boolean;
  /** How long an unsolicited packet's state blocks allocations (Linux UDP unreplied: 30 s). */
  blockLifetimeMs: number;
  /**
   * An outbound packet whose TTL expires at this router still creates (or refreshes) its
   * mapping before it dies. Linux: false (conntrack state of a packet dropped in forward is
   * never committed); some other NATs translate first and decrement later.
   */
  ttlExpiryKeepsState: boolean;
}

export const DEFAULT_BEHAVIOUR: NatBehaviour = {
  mapping: 'endpoint-independent',
  filtering: 'address-and-port-dependent',
  allocation: 'preserving',
  portLo: 1024,
  portHi: 65535,
  mappingLifetimeMs: 120_000,
  hairpin: false,
  firewall: true,
  blockLifetimeMs: 30_000,
  ttlExpiryKeepsState: false,
};

interface Mapping {
  readonly ext: number;
  readonly extAddr: SocketAddr;
  readonly inside: SocketAddr;
  /** Remote IP ids (address filtering) or endpoint keys (port filtering) sent to. */
  readonly contacted: Set<number>;
  lastUsed: number;
}

/** Bounds on per-box tables (a simulated box is as finite as a real one). */
const MAX_IPS = 1 << 20;
const MAX_BLOCKS = 1 << 20;

export class NatBox implements Downstream, Upstream {
  private readonly b: NatBehaviour;
  /** Live and dead-but-not-yet-replaced mappings by inside endpoint (mapping key below). */
  private readonly byInside = new Map<number, Mapping>();
  /** Dependent mappings: inside endpoint → (remote IP id or remote endpoint) → mapping. */
  private readonly byRemote = new Map<number, Map<number, Mapping>>();
  /** Flows forced off their mapping's port by blocking state: inside → remote endpoint. */
  private readonly byFlow = new Map<number, Map<number, Mapping>>();
  private keyed = 0;
  private readonly byExt = new Map<number, Mapping>();
  /** External port → remote endpoint key → until (unsolicited packets' conntrack state). */
  private readonly blocks = new Map<number, Map<number, number>>();
  private blockCount = 0;
  private readonly inside = new Map<string, Downstream>();
  private readonly ipIds = new Map<string, number>();
  private ipSeq = 0;
  private nextSeq: number;

  constructor(
    readonly externalIp: string,
    readonly upstream: Upstream,
    private readonly clock: VirtualClock,
    private readonly rng: SeededRandom,
    private readonly drops: DropCounter,
    behaviour: Partial<NatBehaviour> = {},
  ) {
    this.b = { ...DEFAULT_BEHAVIOUR, ...behaviour };
    this.nextSeq = this.b.portLo + rng.int(this.b.portHi - this.b.portLo + 1);
  }

  get behaviour(): Readonly<NatBehaviour> {
    return this.b;
  }

  /** A host or inner NAT on this box's inside network. */
  attachInside(ip: string, node: Downstream): void {
    this.inside.set(ip, node);
  }

  /** Live mappings. */
  get mappings(): number {
    let n = 0;
    for (const m of this.byExt.values()) if (this.isAlive(m)) n++;
    return n;
  }

  // --- outbound -------------------------------------------------------------------------------

  fromInside(p: Packet): void {
    if (p.ttl <= 1 && !this.b.ttlExpiryKeepsState) return this.drops.count('ttl-expired-at-nat');
    const m = this.mappingFor(p.src, p.dst);
    if (!m) return this.drops.count('nat-ports-exhausted');
    m.lastUsed = this.clock.now();
    if (this.b.filtering === 'address-dependent') m.contacted.add(this.ipId(p.dst.ip));
    else if (this.b.filtering === 'address-and-port-dependent') m.contacted.add(this.ep(p.dst));
    if (p.ttl <= 1) return this.drops.count('ttl-expired-at-nat');
    p.src = m.extAddr;
    p.ttl -= 1;
    if (p.dst.ip === this.externalIp) {
      if (!this.b.hairpin) return this.drops.count('no-hairpin');
      return this.fromOutside(p);
    }
    this.upstream.fromInside(p);
  }

  private mappingFor(src: SocketAddr, dst: SocketAddr): Mapping | undefined {
    const srcKey = this.ep(src);
    const dstKey = this.ep(dst);
    // A flow that once had to leave its mapping's port (see below) keeps its own mapping.
    if (this.byFlow.size > 0) {
      const own = this.alive(this.byFlow.get(srcKey)?.get(dstKey));
      if (own) return own;
    }
    const remoteKey =
      this.b.mapping === 'address-dependent'
        ? this.ipId(dst.ip)
        : this.b.mapping === 'address-and-port-dependent'
          ? dstKey
          : -1;
    const m = this.alive(
      remoteKey < 0 ? this.byInside.get(srcKey) : this.byRemote.get(srcKey)?.get(remoteKey),
    );
    if (m && !this.blocked(m.ext, dstKey)) return m;
    // Linux: the persistent port clashes with state an unsolicited packet left; this flow gets
    // another port (the NAT turns symmetric for exactly the flows a punch needs).
    const ext = this.allocate(src.port, dstKey);
    if (ext === undefined) return undefined;
    const fresh: Mapping = {
      ext,
      extAddr: { ip: this.externalIp, port: ext },
      inside: src,
      contacted: new Set(),
      lastUsed: this.clock.now(),
    };
    if (this.keyed >= 2 * this.poolSize()) this.sweep();
    this.keyed++;
    if (m) inner(this.byFlow, srcKey).set(dstKey, fresh);
    else if (remoteKey < 0) this.byInside.set(srcKey, fresh);
    else inner(this.byRemote, srcKey).set(remoteKey, fresh);
    this.byExt.set(ext, fresh);
    return fresh;
  }

  private isAlive(m: Mapping): boolean {
    return this.clock.now() - m.lastUsed <= this.b.mappingLifetimeMs;
  }

  private alive(m: Mapping | undefined): Mapping | undefined {
    if (!m) return undefined;
    if (this.isAlive(m)) return m;
    if (this.byExt.get(m.ext) === m) this.byExt.delete(m.ext);
    return undefined;
  }

  /** Forgets expired mappings from the key tables (they are otherwise replaced lazily). */
  private sweep(): void {
    let kept = 0;
    const keep = (m: Mapping): boolean => {
      const live = this.alive(m) !== undefined;
      if (live) kept++;
      return live;
    };
    for (const [k, m] of this.byInside) if (!keep(m)) this.byInside.delete(k);
    for (const table of [this.byRemote, this.byFlow]) {
      for (const [k, t] of table) {
        for (const [r, m] of t) if (!keep(m)) t.delete(r);
        if (t.size === 0) table.delete(k);
      }
    }
    this.keyed = kept;
  }

  private poolSize(): number {
    return this.b.portHi - this.b.portLo + 1;
  }

  private usable(port: number, dstKey: number): boolean {
    return !this.alive(this.byExt.get(port)) && !this.blocked(port, dstKey);
  }

  private allocate(wanted: number, dstKey: number): number | undefined {
    const { portLo: lo, portHi: hi } = this.b;
    const pool = this.poolSize();
    const wrap = (p: number): number => lo + ((((p - lo) % pool) + pool) % pool);
    if (this.b.allocation === 'random') {
      for (let i = 0; i < 64; i++) {
        const p = lo + this.rng.int(pool);
        if (this.usable(p, dstKey)) return p;
      }
    }
    const start =
      this.b.allocation === 'preserving' && wanted >= lo && wanted <= hi ? wanted : this.nextSeq;
    for (let i = 0; i < pool; i++) {
      const p = wrap(start + i);
      if (this.usable(p, dstKey)) {
        if (this.b.allocation === 'sequential') this.nextSeq = wrap(p + 1);
        return p;
      }
    }
    return undefined;
  }

  // --- inbound --------------------------------------------------------------------------------

  fromOutside(p: Packet): void {
    const m = this.alive(this.byExt.get(p.dst.port));
    if (m && this.allows(m, p.src)) {
      if (p.ttl <= 1) return this.drops.count('ttl-expired-at-nat');
      const node = this.inside.get(m.inside.ip);
      if (!node) return this.drops.count('inside-host-gone');
      m.lastUsed = this.clock.now();
      p.dst = m.inside;
      p.ttl -= 1;
      node.fromOutside(p);
      return;
    }
    if (this.b.firewall) return this.drops.count('filtered');
    // No firewall: the packet is delivered to the router itself (nothing listens; TTL does not
    // matter for local delivery) and its conntrack entry stays, blocking this port for new
    // flows towards that remote endpoint.
    this.block(p.dst.port, this.ep(p.src));
    this.drops.count('unsolicited-left-state');
  }

  private allows(m: Mapping, from: SocketAddr): boolean {
    switch (this.b.filtering) {
      case 'endpoint-independent':
        return true;
      case 'address-dependent':
        return m.contacted.has(this.ipId(from.ip));
      case 'address-and-port-dependent':
        return m.contacted.has(this.ep(from));
    }
  }

  private block(port: number, remote: number): void {
    const now = this.clock.now();
    if (this.blockCount >= MAX_BLOCKS) {
      // Conntrack table full: forget what has expired; if nothing has, record nothing more.
      this.blockCount = 0;
      for (const [q, per] of this.blocks) {
        for (const [r, until] of per) if (until <= now) per.delete(r);
        if (per.size === 0) this.blocks.delete(q);
        else this.blockCount += per.size;
      }
      if (this.blockCount >= MAX_BLOCKS) return;
    }
    const per = inner(this.blocks, port);
    if (!per.has(remote)) this.blockCount++;
    per.set(remote, now + this.b.blockLifetimeMs);
  }

  private blocked(port: number, remote: number): boolean {
    if (this.blockCount === 0) return false;
    const until = this.blocks.get(port)?.get(remote);
    return until !== undefined && until > this.clock.now();
  }

  // --- keys -----------------------------------------------------------------------------------

  /** A small number per IP seen by this box (interned; bounded). */
  private ipId(ip: string): number {
    let id = this.ipIds.get(ip);
    if (id === undefined) {
      if (this.ipIds.size >= MAX_IPS) this.ipIds.clear(); // ids stay unique: they keep counting
      id = this.ipSeq++;
      this.ipIds.set(ip, id);
    }
    return id;
  }

  private ep(a: SocketAddr): number {
    return this.ipId(a.ip) * 65536 + a.port;
  }
}

function inner<K, V>(outer: Map<K, Map<number, V>>, key: K): Map<number, V> {
  let t = outer.get(key);
  if (!t) outer.set(key, (t = new Map<number, V>()));
  return t;
}
