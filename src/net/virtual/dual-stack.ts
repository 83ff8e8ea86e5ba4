// A dual-stack host in the virtual world: two virtual hosts (the IPv4 one behind its NATs, the
// IPv6 one behind a stateful firewall) seen by a role as one UdpNet. Like the node:dgram adapter,
// the socket's family follows the bind address: an IPv6 `ip` (including '::') opens on the IPv6
// host, anything else on the IPv4 one. So roles open their IPv6 path with
// `env.net.open({ ip: <selected global address> })` on both adapters alike.
import { isIPv6 } from 'node:net';
import type { BindOptions, UdpEndpoint, UdpNet } from '../types.js';
import { behindFirewall6, Firewall6, type Firewall6Options } from './firewall6.js';
import { VirtualHost } from './host.js';
import type { AttachOptions } from './internet.js';
import type { VirtualWorld } from './world.js';

export class DualStackNet implements UdpNet {
  constructor(
    readonly v4: UdpNet,
    /** null: a v4-only host (an IPv6 bind fails like EADDRNOTAVAIL would). */
    readonly v6: UdpNet | null,
  ) {}

  open(opts: BindOptions = {}): UdpEndpoint {
    if (opts.ip !== undefined && isIPv6(opts.ip)) {
      if (this.v6) return this.v6.open(opts);
      // Let the v4 host refuse it: its error path is the one roles already handle.
      return this.v4.open(opts);
    }
    return this.v4.open(opts);
  }
}

/** An IPv6 host at `ip` behind its own stateful firewall, attached to the world's internet. */
export function ipv6Site(
  w: VirtualWorld,
  ip: string,
  attach: AttachOptions,
  fw: Partial<Firewall6Options> = {},
): { host: VirtualHost; firewall: Firewall6 } {
  const host = new VirtualHost(ip, w.clock, w.rng, w.drops);
  const firewall = new Firewall6(w.internet, w.clock, w.drops, fw);
  behindFirewall6(w.internet, firewall, host, attach);
  return { host, firewall };
}
