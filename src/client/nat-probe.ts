// The client's own NAT class for the ladder (issue 9). Classification (RFC 5780 tests against the
// rendezvous's STUN, ~0.7 s) runs beside the connect and never holds an assist back: until it
// ends the class is pending and the rendezvous plans for the common client (strategy.ts
// ASSUMED_CLIENT). A class given by a cache is used at once; if the rendezvous then sees us
// behind another public IP than the one it was learned behind, it is learned again.
import { NatDiscovery } from '../discovery/discover.js';
import { UNKNOWN_NAT, type NatClass } from '../discovery/nat-class.js';
import type { Env, SocketAddr } from '../net/types.js';

/** A class learned earlier, and the public IP the rendezvous saw us behind then. */
export interface KnownNat {
  readonly nat: NatClass;
  readonly publicIp?: string;
}

export class ClientNatProbe {
  private result: NatClass | undefined;
  private seenIp: string | undefined;
  private cached = false;
  private run: NatDiscovery | undefined;
  private readonly listeners: Array<() => void> = [];
  /** STUN requests of classifications that ended. */
  private sentBefore = 0;

  constructor(
    private readonly env: Env,
    private readonly rendezvous: SocketAddr,
    private readonly o: { deadlineMs: number; bindIp?: string; known?: KnownNat },
    /** Classification's hooks, to cache its class (`learned` also gets an unknown one). */
    private readonly hooks: {
      started?: () => void;
      learned?: (c: NatClass, publicIp: string | undefined, stunSent: number) => void;
    } = {},
  ) {}

  start(): void {
    const known = this.o.known;
    if (!known) return this.classify();
    this.result = known.nat;
    this.seenIp = known.publicIp;
    this.cached = true;
  }

  /** The rendezvous saw us at `ip`: a cached class learned behind another IP is learned again. */
  observed(ip: string): void {
    if (!this.cached || this.seenIp === undefined || this.seenIp === ip) return;
    this.cached = false;
    this.result = undefined;
    this.classify();
  }

  /** The class (unknown while pending, or when classification failed). */
  get nat(): NatClass {
    return this.result ?? UNKNOWN_NAT;
  }

  /** `cb` each time a classification ends. */
  onSettled(cb: () => void): void {
    this.listeners.push(cb);
  }

  /** STUN requests classification sent so far (0 with a cached class). */
  get sent(): number {
    return this.sentBefore + (this.run?.sent ?? 0);
  }

  /**
   * The connect ended. A running classification is stopped, unless `keepLearning` (someone
   * caches its class): it then ends by its own deadline and closes its sockets.
   */
  stop(keepLearning: boolean): void {
    this.listeners.length = 0;
    if (keepLearning) return;
    this.run?.cancel();
    this.run = undefined;
  }

  private classify(): void {
    const { bindIp } = this.o;
    const run = new NatDiscovery(this.env, this.rendezvous, {
      depth: false,
      deadlineMs: this.o.deadlineMs,
      ...(bindIp !== undefined ? { bindIp } : {}),
    });
    this.run = run;
    this.hooks.started?.();
    run.start((d) => {
      if (this.run !== run) return;
      this.run = undefined;
      this.sentBefore += d.classify.sent;
      this.result = d.nat;
      this.seenIp = d.classify.mapped?.ip;
      this.hooks.learned?.(d.nat, this.seenIp, this.sentBefore);
      for (const cb of [...this.listeners]) cb();
    });
  }
}
