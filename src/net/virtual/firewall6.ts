// A home router's IPv6 side in the virtual world: no NAT (inside hosts keep their global
// addresses), only a stateful firewall like Linux conntrack + "ct state established,related
// accept; new from WAN drop" — endpoint-dependent (address and port) filtering: a packet from
// outside passes only if the inside endpoint sent to exactly that remote endpoint within the
// flow lifetime. 'blocked' drops all IPv6 both ways (broken IPv6); 'open' filters nothing.
//
// Plugs in without changes elsewhere: attach each inside host's address to the Internet with
// this box as the node, and make this box the host's gateway (see `behindFirewall6`).
import type { VirtualClock } from './clock.js';
import type { Internet, AttachOptions } from './internet.js';
import type { DropCounter } from '../drops.js';
import type { Downstream, Packet, Upstream } from './packet.js';
import type { VirtualHost } from './host.js';

export type Firewall6Mode = 'stateful' | 'blocked' | 'open';

export interface Firewall6Options {
  mode: Firewall6Mode;
  /** Idle time after which a flow is forgotten, ms (Linux UDP: 30 s unreplied, 120 s replied). */
  flowLifetimeMs: number;
  /** At most this many flows; new outbound flows beyond it are dropped (a full conntrack table). */
  maxFlows: number;
}

export const DEFAULT_FIREWALL6: Firewall6Options = {
  mode: 'stateful',
  flowLifetimeMs: 120_000,
  maxFlows: 65_536,
};

const flowKey = (inIp: string, inPort: number, exIp: string, exPort: number): string =>
  `${inIp}|${inPort}|${exIp}|${exPort}`;

export class Firewall6 implements Upstream, Downstream {
  private readonly inside = new Map<string, Downstream>();
  /** Flow key → last time a packet of the flow passed. */
  private readonly flows = new Map<string, number>();
  readonly opts: Firewall6Options;

  constructor(
    private readonly upstream: Upstream,
    private readonly clock: VirtualClock,
    private readonly drops: DropCounter,
    opts: Partial<Firewall6Options> = {},
  ) {
    this.opts = { ...DEFAULT_FIREWALL6, ...opts };
  }

  attachInside(ip: string, node: Downstream): void {
    this.inside.set(ip, node);
  }

  /** Flows currently remembered (expired ones are forgotten lazily). */
  get flowCount(): number {
    return this.flows.size;
  }

  fromInside(p: Packet): void {
    if (this.opts.mode === 'blocked') return this.drops.count('v6-firewall-blocked');
    if (p.ttl <= 1) return this.drops.count('ttl-expired-at-router');
    // Like Linux: state is committed only for a packet that is really forwarded.
    const key = flowKey(p.src.ip, p.src.port, p.dst.ip, p.dst.port);
    if (!this.live(key) && this.flows.size >= this.opts.maxFlows) {
      this.sweep();
      if (this.flows.size >= this.opts.maxFlows) return this.drops.count('v6-firewall-table-full');
    }
    this.flows.set(key, this.clock.now());
    p.ttl -= 1;
    const local = this.inside.get(p.dst.ip);
    if (local) return local.fromOutside(p); // inside to inside: stays on the LAN side
    this.upstream.fromInside(p);
  }

  fromOutside(p: Packet): void {
    const node = this.inside.get(p.dst.ip);
    if (!node) return this.drops.count('no-route');
    if (this.opts.mode === 'blocked') return this.drops.count('v6-firewall-blocked');
    if (this.opts.mode === 'stateful') {
      const key = flowKey(p.dst.ip, p.dst.port, p.src.ip, p.src.port);
      if (!this.live(key)) return this.drops.count('v6-firewall-unsolicited');
      if (this.flows.has(key)) this.flows.set(key, this.clock.now());
    }
    if (p.ttl <= 1) return this.drops.count('ttl-expired-at-router');
    p.ttl -= 1;
    node.fromOutside(p);
  }

  private live(key: string): boolean {
    const at = this.flows.get(key);
    if (at === undefined) return false;
    if (this.clock.now() - at <= this.opts.flowLifetimeMs) return true;
    this.flows.delete(key);
    return false;
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [k, at] of this.flows) if (now - at > this.opts.flowLifetimeMs) this.flows.delete(k);
  }
}

/** Puts `host` (an IPv6 virtual host) behind `fw`, reachable from the internet at its own IP. */
export function behindFirewall6(
  internet: Internet,
  fw: Firewall6,
  host: VirtualHost,
  attach: AttachOptions,
): void {
  fw.attachInside(host.ip, host);
  host.gateway = fw;
  internet.attach(host.ip, fw, attach);
}
