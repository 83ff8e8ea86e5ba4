// A NAT box with RFC 4787 behaviour as parameters: mapping, filtering, port allocation, mapping
// lifetime, hairpinning, and the two Linux facts DESIGN.md measured: a packet whose TTL expires
// at the router leaves no state, and (without the usual "drop unsolicited" firewall) an
// unsolicited inbound packet leaves conntrack state that stops the router from ever allocating
// that external port for a new flow towards that same remote endpoint.
import type { Clock, SocketAddr } from '../types.js';
import type { Downstream, DropLog, Packet, Upstream } from './packet.js';
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
  /** Idle time after which a mapping is forgotten, ms. */
  mappingLifetimeMs: number;
  hairpin: boolean;
  /** Drops unsolicited inbound packets before they leave any state (home routers do). */
  firewall: boolean;
  /** How long an unsolicited packet's state blocks allocations (Linux UDP unreplied: 30 s). */
  blockLifetimeMs: number;
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
};

interface Mapping {
  readonly ext: number;
  readonly inside: SocketAddr;
  /** Remote IPs (address filtering) or IP:port (port filtering) this mapping has sent to. */
  readonly contacted: Set<string>;
  lastUsed: number;
}

const ipPort = (a: SocketAddr): string => `${a.ip}:${a.port}`;

export class NatBox implements Downstream, Upstream {
  private readonly b: NatBehaviour;
  private readonly byKey = new Map<string, Mapping>();
  private readonly byExt = new Map<number, Mapping>();
  private readonly blocks = new Map<number, Map<string, number>>();
  private readonly inside = new Map<string, Downstream>();
  private nextSeq: number;

  constructor(
    readonly externalIp: string,
    readonly upstream: Upstream,
    private readonly clock: Clock,
    private readonly rng: SeededRandom,
    private readonly drops: DropLog,
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

  get mappings(): number {
    return this.byExt.size;
  }

  // --- outbound -------------------------------------------------------------------------------

  fromInside(p: Packet): void {
    if (p.ttl <= 1) return this.drops.drop('ttl-expired-at-nat'); // dropped in forward: no state
    const m = this.mappingFor(p.src, p.dst);
    if (!m) return this.drops.drop('nat-ports-exhausted');
    m.lastUsed = this.clock.now();
    m.contacted.add(this.b.filtering === 'address-dependent' ? p.dst.ip : ipPort(p.dst));
    const out: Packet = {
      src: { ip: this.externalIp, port: m.ext },
      dst: p.dst,
      ttl: p.ttl - 1,
      data: p.data,
    };
    if (p.dst.ip === this.externalIp) {
      if (!this.b.hairpin) return this.drops.drop('no-hairpin');
      return this.fromOutside(out);
    }
    this.upstream.fromInside(out);
  }

  private mappingKey(src: SocketAddr, dst: SocketAddr): string {
    switch (this.b.mapping) {
      case 'endpoint-independent':
        return ipPort(src);
      case 'address-dependent':
        return `${ipPort(src)}>${dst.ip}`;
      case 'address-and-port-dependent':
        return `${ipPort(src)}>${ipPort(dst)}`;
    }
  }

  private mappingFor(src: SocketAddr, dst: SocketAddr): Mapping | undefined {
    // A flow that once had to leave its mapping's port (see below) keeps its own mapping.
    const flowKey = `${ipPort(src)}>${ipPort(dst)}`;
    const own = this.alive(this.byKey.get(flowKey));
    if (own) return own;
    const key = this.mappingKey(src, dst);
    const m = this.alive(this.byKey.get(key));
    if (m && !this.blocked(m.ext, dst)) return m;
    // Linux: the persistent port clashes with state an unsolicited packet left; this flow gets
    // another port (the NAT turns symmetric for exactly the flows a punch needs).
    const ext = this.allocate(src.port, dst);
    if (ext === undefined) return undefined;
    const fresh: Mapping = { ext, inside: src, contacted: new Set(), lastUsed: this.clock.now() };
    this.byKey.set(m ? flowKey : key, fresh);
    this.byExt.set(ext, fresh);
    return fresh;
  }

  private alive(m: Mapping | undefined): Mapping | undefined {
    if (!m) return undefined;
    if (this.clock.now() - m.lastUsed <= this.b.mappingLifetimeMs) return m;
    if (this.byExt.get(m.ext) === m) this.byExt.delete(m.ext);
    return undefined;
  }

  private usable(port: number, dst: SocketAddr): boolean {
    return !this.alive(this.byExt.get(port)) && !this.blocked(port, dst);
  }

  private allocate(wanted: number, dst: SocketAddr): number | undefined {
    const { portLo: lo, portHi: hi } = this.b;
    const pool = hi - lo + 1;
    const wrap = (p: number): number => lo + ((((p - lo) % pool) + pool) % pool);
    if (this.b.allocation === 'random') {
      for (let i = 0; i < 64; i++) {
        const p = lo + this.rng.int(pool);
        if (this.usable(p, dst)) return p;
      }
    }
    const start =
      this.b.allocation === 'preserving' && wanted >= lo && wanted <= hi ? wanted : this.nextSeq;
    for (let i = 0; i < pool; i++) {
      const p = wrap(start + i);
      if (this.usable(p, dst)) {
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
      if (p.ttl <= 1) return this.drops.drop('ttl-expired-at-nat');
      const node = this.inside.get(m.inside.ip);
      if (!node) return this.drops.drop('inside-host-gone');
      m.lastUsed = this.clock.now();
      node.fromOutside({ src: p.src, dst: m.inside, ttl: p.ttl - 1, data: p.data });
      return;
    }
    if (this.b.firewall) return this.drops.drop('filtered');
    // No firewall: the packet is delivered to the router itself (nothing listens) and its
    // conntrack entry stays, blocking this port for new flows towards that remote endpoint.
    let perPort = this.blocks.get(p.dst.port);
    if (!perPort) this.blocks.set(p.dst.port, (perPort = new Map<string, number>()));
    perPort.set(ipPort(p.src), this.clock.now() + this.b.blockLifetimeMs);
    this.drops.drop('unsolicited-left-state');
  }

  private allows(m: Mapping, from: SocketAddr): boolean {
    switch (this.b.filtering) {
      case 'endpoint-independent':
        return true;
      case 'address-dependent':
        return m.contacted.has(from.ip);
      case 'address-and-port-dependent':
        return m.contacted.has(ipPort(from));
    }
  }

  private blocked(port: number, dst: SocketAddr): boolean {
    const until = this.blocks.get(port)?.get(ipPort(dst));
    return until !== undefined && until > this.clock.now();
  }
}
