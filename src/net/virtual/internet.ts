// The public internet of the virtual world: routes by destination IP between attachments
// (public hosts and NAT boxes' outside addresses), with per-attachment delay, ISP router hops,
// jitter and loss, all from the world's seeded RNG.
import type { VirtualClock } from './clock.js';
import type { SeededRandom } from './rng.js';
import type { DropCounter } from '../drops.js';
import type { Downstream, Packet, Upstream } from './packet.js';

export interface AttachOptions {
  /** One-way delay between this attachment and the core, ms. */
  delayMs: number;
  /** Routers between this attachment and the core router (an ISP hop: 1). */
  hops: number;
  /** Lives on the core router itself (the rendezvous in the lab): no core forwarding hop. */
  onCore?: boolean;
}

interface Attachment extends AttachOptions {
  node: Downstream;
}

export interface InternetOptions {
  /** Probability that one traversal loses the packet, 0..1. */
  loss: number;
  /** Uniform extra delay in [0, jitterMs). */
  jitterMs: number;
}

export class Internet implements Upstream {
  private readonly table = new Map<string, Attachment>();

  constructor(
    private readonly clock: VirtualClock,
    private readonly rng: SeededRandom,
    private readonly drops: DropCounter,
    private readonly opts: InternetOptions,
  ) {}

  attach(ip: string, node: Downstream, opts: AttachOptions): void {
    this.table.set(ip, { node, ...opts });
  }

  fromInside(p: Packet): void {
    const from = this.table.get(p.src.ip);
    const to = this.table.get(p.dst.ip);
    if (!from || !to) return this.drops.count('no-route');
    const routers = from.hops + to.hops + (from.onCore || to.onCore ? 0 : 1);
    if (p.ttl <= routers) return this.drops.count('ttl-expired-in-transit');
    if (this.opts.loss > 0 && this.rng.float() < this.opts.loss) return this.drops.count('lost');
    const delay =
      from.delayMs +
      to.delayMs +
      (this.opts.jitterMs > 0 ? this.rng.float() * this.opts.jitterMs : 0);
    p.ttl -= routers; // the packet is ours now: every hop rewrites it in place
    this.clock.sendDown(delay, to.node, p);
  }
}
