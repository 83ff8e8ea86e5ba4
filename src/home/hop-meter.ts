// Measures the hop distance D to the rendezvous: one hopProbe per TTL 1..maxTtl, each sent with
// that IP TTL; the rendezvous echoes the ones that arrive, and the smallest echoed TTL is D.
//
// Why: hole-opening packets must pass our own NAT(s) but should die before the peer's NAT. A
// router without a "drop unsolicited" firewall keeps conntrack state for every packet that
// reaches it unsolicited, and Linux then never allocates those ports for the very mappings the
// punch needs (measured on Linux; docs/design.md). Our NATs sit between us and the rendezvous, so TTL D-1
// passes them all and, unless the rendezvous is the next hop, expires before the far side.
import type { Clock, SocketAddr, TimerHandle } from '../net/types.js';
import type { Message } from '../wire/messages.js';

export interface HopMeterOptions {
  maxTtl: number;
  waitMs: number;
}

export const MAX_HOLE_TTL = 4;

export const DEFAULT_HOP_METER: HopMeterOptions = { maxTtl: 16, waitMs: 1500 };

export class HopMeter {
  private tx = -1;
  private best: number | undefined;
  private timer: TimerHandle | undefined;
  /** The last completed measurement (undefined: none yet, or nothing came back). */
  distance: number | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly opts: HopMeterOptions,
    private readonly send: (msg: Message, to: SocketAddr, ttl: number) => void,
  ) {}

  measure(rendezvous: SocketAddr, tx: number, done?: (d: number | undefined) => void): void {
    this.timer?.cancel();
    this.tx = tx;
    this.best = undefined;
    for (let ttl = 1; ttl <= this.opts.maxTtl; ttl++)
      this.send({ type: 'hopProbe', tx, ttl }, rendezvous, ttl);
    this.timer = this.clock.setTimer(this.opts.waitMs, () => {
      this.distance = this.best;
      this.tx = -1;
      done?.(this.distance);
    });
  }

  onReply(msg: Extract<Message, { type: 'hopReply' }>): void {
    if (msg.tx !== this.tx) return;
    if (this.best === undefined || msg.ttl < this.best) this.best = msg.ttl;
  }

  cancel(): void {
    this.timer?.cancel();
  }

  /**
   * TTL for hole-opening packets: D-1, at least 2 and at most MAX_HOLE_TTL, or undefined (OS
   * default) if unmeasured. The cap matters when the rendezvous is far away (a datacenter many
   * hops out): D-1 would then reach the client's NAT (measured in the lab: 0% without router
   * firewalls), while a home router plus a CGNAT sit within the first few hops.
   */
  holeTtl(): number | undefined {
    return this.distance === undefined
      ? undefined
      : Math.min(MAX_HOLE_TTL, Math.max(2, this.distance - 1));
  }
}
