// One discovery for a role: classify the NAT, then (where it can be measured) its depth. Callback
// based like every role state machine (the simulator runs its clock synchronously, so a promise
// chain would stall between the two steps); discoverNat() is the promise wrapper for real use.
// Total time ≤ classify deadline + depth deadline (4 s by default; ~1.5 s on a quiet path).
import type { Env, SocketAddr } from '../net/types.js';
import {
  DEFAULT_CLASSIFY,
  NatClassifier,
  type ClassifyOptions,
  type ClassifyResult,
} from './classify.js';
import { UNKNOWN_NAT, type NatClass } from './nat-class.js';
import { DEFAULT_NAT_DEPTH, NatDepthMeter, type NatDepthResult } from './nat-depth.js';

export interface Discovery {
  /** The class to send in register/assist; natDepth set when it was measured. */
  readonly nat: NatClass;
  readonly classify: ClassifyResult;
  readonly depth: NatDepthResult | undefined;
}

export type DiscoveryOptions = Partial<Omit<ClassifyOptions, 'server'>> & {
  /** Also measure the NAT depth (the home wants it, for its hole TTL; a client need not). */
  readonly depth?: boolean;
};

export class NatDiscovery {
  private classifier: NatClassifier | undefined;
  private meter: NatDepthMeter | undefined;
  private cancelled = false;

  constructor(
    private readonly env: Env,
    private readonly server: SocketAddr,
    private readonly opts: DiscoveryOptions = {},
  ) {}

  start(done: (d: Discovery) => void): void {
    const { depth, ...classifyOpts } = this.opts;
    this.classifier = new NatClassifier(this.env, {
      ...DEFAULT_CLASSIFY,
      ...classifyOpts,
      server: this.server,
    });
    this.classifier.start((classify) => {
      if (this.cancelled) return;
      if (depth === false || !classify.other)
        return done({ nat: classify.nat, classify, depth: undefined });
      this.meter = new NatDepthMeter(this.env, {
        ...DEFAULT_NAT_DEPTH,
        server: this.server,
        other: classify.other,
        nat: classify.nat,
        ...(classifyOpts.bindIp !== undefined ? { bindIp: classifyOpts.bindIp } : {}),
      });
      this.meter.start((d) => {
        if (this.cancelled) return;
        const nat = d.ok ? { ...classify.nat, natDepth: d.natDepth } : classify.nat;
        done({ nat, classify, depth: d });
      });
    });
  }

  cancel(): void {
    this.cancelled = true;
    this.classifier?.cancel();
    this.meter?.cancel();
  }

  /** STUN requests classification sent so far (the depth search not included). */
  get sent(): number {
    return this.classifier?.sent ?? 0;
  }
}

export function discoverNat(
  env: Env,
  server: SocketAddr,
  opts: DiscoveryOptions = {},
): Promise<Discovery> {
  return new Promise((resolve) => new NatDiscovery(env, server, opts).start(resolve));
}

/**
 * The home's view of its own class: unknown until the first discovery, then cached; refreshed
 * (one run at a time) when the rendezvous reports a different public IP than the one discovery
 * saw (a new uplink, a CGNAT reassignment), or when the cache is older than maxAgeMs.
 */
export class NatClassCache {
  private last: Discovery | undefined;
  private at = -Infinity;
  private running: NatDiscovery | undefined;

  constructor(
    private readonly env: Env,
    private readonly server: SocketAddr,
    private readonly maxAgeMs: number,
    private readonly opts: DiscoveryOptions = {},
    private readonly onChange: (nat: NatClass) => void = () => {},
  ) {}

  /** The class to report now (UNKNOWN_NAT until a discovery finished). */
  get current(): NatClass {
    return this.last?.nat ?? UNKNOWN_NAT;
  }

  get discovery(): Discovery | undefined {
    return this.last;
  }

  /** Call at start and on every (re-)registration with the public address the rendezvous saw. */
  refresh(observed?: SocketAddr): void {
    if (this.running) return;
    const stale = this.env.clock.now() - this.at > this.maxAgeMs;
    const seen = this.last?.classify.mapped;
    // A failed discovery is retried when stale, not on every registration.
    const moved = observed !== undefined && seen !== undefined && seen.ip !== observed.ip;
    if (!stale && !moved) return;
    const run = new NatDiscovery(this.env, this.server, this.opts);
    this.running = run;
    run.start((d) => {
      this.running = undefined;
      this.at = this.env.clock.now();
      const changed = JSON.stringify(d.nat) !== JSON.stringify(this.last?.nat);
      this.last = d;
      if (changed) this.onChange(d.nat);
    });
  }

  cancel(): void {
    this.running?.cancel();
    this.running = undefined;
  }
}
