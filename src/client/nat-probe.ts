// The client's own NAT class for the ladder (issue 9): classified against the rendezvous's STUN
// while step 1 runs, bounded by the classifier's deadline (so it adds at most that to a connect),
// or taken as given (a cached class). Whatever is known when the deadline passes is used; a class
// that stayed unknown gives the behaviour before discovery.
import { NatDiscovery } from '../discovery/discover.js';
import { UNKNOWN_NAT, type NatClass } from '../discovery/nat-class.js';
import type { Env, SocketAddr } from '../net/types.js';

export class ClientNatProbe {
  private result: NatClass | undefined;
  private waiters: Array<() => void> = [];
  private run: NatDiscovery | undefined;
  /** STUN requests classification sent (0 with a known class). */
  sent = 0;

  constructor(
    private readonly env: Env,
    private readonly rendezvous: SocketAddr,
    private readonly o: { deadlineMs: number; bindIp?: string; known?: NatClass },
    private readonly learned: (c: NatClass) => void = () => {},
  ) {}

  start(): void {
    if (this.o.known) return this.settle(this.o.known);
    const { bindIp } = this.o;
    this.run = new NatDiscovery(this.env, this.rendezvous, {
      depth: false,
      deadlineMs: this.o.deadlineMs,
      ...(bindIp !== undefined ? { bindIp } : {}),
    });
    this.run.start((d) => {
      this.sent = d.classify.sent;
      this.learned(d.nat);
      this.settle(d.nat);
    });
  }

  get settled(): boolean {
    return this.result !== undefined;
  }

  /** The class (unknown until classified). */
  get nat(): NatClass {
    return this.result ?? UNKNOWN_NAT;
  }

  /** `cb` once classification ended (at once when it already has). */
  whenSettled(cb: () => void): void {
    if (this.result) cb();
    else this.waiters.push(cb);
  }

  cancel(): void {
    this.run?.cancel();
    this.waiters = [];
  }

  private settle(c: NatClass): void {
    this.result = c;
    const w = this.waiters;
    this.waiters = [];
    for (const cb of w) cb();
  }
}
