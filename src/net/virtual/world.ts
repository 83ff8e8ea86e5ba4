// One virtual world: clock, seeded randomness, the internet, and helpers that put a host on it
// directly or behind a stack of NAT boxes.
import { VirtualClock } from './clock.js';
import { VirtualHost } from './host.js';
import { Internet, type AttachOptions, type InternetOptions } from './internet.js';
import { NatBox, type NatBehaviour } from './nat.js';
import { DropCounter } from '../drops.js';
import type { Upstream } from './packet.js';
import { SeededRandom } from './rng.js';

export interface SiteAddresses {
  /** The outermost public IP of the site. */
  publicIp: string;
  /** IP of the host itself, inside the innermost NAT. */
  hostIp: string;
  /** External IPs of inner NAT boxes (CGNAT inside range), outermost first. */
  innerIps: string[];
}

export interface Site {
  host: VirtualHost;
  nats: NatBox[];
}

export class VirtualWorld {
  readonly clock: VirtualClock;
  readonly rng: SeededRandom;
  readonly drops = new DropCounter();
  readonly internet: Internet;

  /** `epochMs`: the wall-clock instant at virtual time 0 (signed registrations are checked against it). */
  constructor(seed: number, opts: InternetOptions = { loss: 0, jitterMs: 0 }, epochMs?: number) {
    this.clock = new VirtualClock(epochMs);
    this.rng = new SeededRandom(seed);
    this.internet = new Internet(this.clock, this.rng, this.drops, opts);
  }

  /**
   * A host reachable at `addrs.publicIp` directly (no layers) or behind `layers` of NAT
   * (outermost first), each with `firewall` applied unless a layer says otherwise.
   */
  site(
    layers: readonly Partial<NatBehaviour>[],
    addrs: SiteAddresses,
    attach: AttachOptions,
    firewall = true,
  ): Site {
    if (layers.length === 0) {
      const host = new VirtualHost(addrs.publicIp, this.clock, this.rng, this.drops);
      host.gateway = this.internet;
      this.internet.attach(addrs.publicIp, host, attach);
      return { host, nats: [] };
    }
    const nats: NatBox[] = [];
    let upstream: Upstream = this.internet;
    layers.forEach((behaviour, i) => {
      const extIp = i === 0 ? addrs.publicIp : (addrs.innerIps[i - 1] as string);
      const nat = new NatBox(extIp, upstream, this.clock, this.rng, this.drops, {
        firewall,
        ...behaviour,
      });
      if (i === 0) this.internet.attach(extIp, nat, attach);
      else (nats[i - 1] as NatBox).attachInside(extIp, nat);
      nats.push(nat);
      upstream = nat;
    });
    const host = new VirtualHost(addrs.hostIp, this.clock, this.rng, this.drops);
    host.gateway = upstream;
    (nats[nats.length - 1] as NatBox).attachInside(addrs.hostIp, host);
    return { host, nats };
  }
}
