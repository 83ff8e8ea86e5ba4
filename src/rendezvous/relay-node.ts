// The relay as its own role (issue 10, `porthole relay`): one UDP socket carrying the relay core
// and the homes' registrations. A rendezvous started with `--relay-node` names this node to its
// homes (relayNode message) and redirects clients' relayOpens here; each home registers here as
// with its rendezvous (same signed proof, same RegistrationDesk), so this node holds the live NAT
// mapping it offers sessions through. No assists, no STUN: nothing else is answered.
import type { BindOptions, Env, SocketAddr, TimerHandle } from '../net/types.js';
import type { RelayMetrics } from '../ops/metrics.js';
import { RateLimiter, type RateLimitOptions } from '../util/rate-limit.js';
import type { RelayLimits } from '../relay/limits.js';
import type { RelayCore } from '../relay/server.js';
import type { RelayStats } from '../relay/stats.js';
import { UdpRelay } from '../relay/udp-relay.js';
import { ownAddresses, RegistrationDesk } from './registration-desk.js';
import { MemoryRegistry } from './registry.js';

export interface RelayNodeOptions extends Partial<RelayLimits> {
  listen: BindOptions;
  /** A home's registration lives this long unless refreshed (default 90 s, as the rendezvous). */
  registrationTtlMs?: number;
  maxHomes?: number;
  /** Refuse unsigned registrations of open (not key-derived) home ids. */
  requireSigned?: boolean;
  /** Registrations and keepalives per source IP (each signed one costs a signature check). */
  perIpLimit?: RateLimitOptions;
  metrics?: RelayMetrics;
  /** Its public address when it cannot see it (registration proofs are bound to it). */
  advertise?: SocketAddr;
}

export interface RelayNodeStats {
  homes: number;
  relay: RelayStats;
  dropped: Record<string, number>;
}

const SWEEP_MS = 5000;

export class RelayNode {
  private readonly udp: UdpRelay;
  private readonly registry: MemoryRegistry;
  private readonly desk: RegistrationDesk;
  private readonly perIp: RateLimiter;
  private sweepTimer: TimerHandle | undefined;

  constructor(
    private readonly env: Env,
    opts: RelayNodeOptions,
  ) {
    const cfg = {
      registrationTtlMs: opts.registrationTtlMs ?? 90_000,
      requireSigned: opts.requireSigned ?? false,
    };
    this.registry = new MemoryRegistry(opts.maxHomes ?? 100_000);
    this.perIp = new RateLimiter(
      opts.perIpLimit ?? { ratePerSec: 20, burst: 40, maxKeys: 100_000 },
    );
    this.udp = new UdpRelay(env, {
      ...opts,
      lookupHome: (id) => this.registry.get(id, env.clock.now())?.addr,
      offline: (id) => this.desk.isOffline(id, env.clock.now()),
      onOther: (msg, from, size) => {
        if (msg.type !== 'register' && msg.type !== 'keepalive' && msg.type !== 'deregister')
          return this.udp.drops.count(`unexpected-${msg.type}`);
        if (!this.perIp.take(from.ip, env.clock.now()))
          return this.udp.drops.count('rate-limited-ip');
        if (msg.type === 'register') this.desk.onRegister(msg, { from, size });
        else if (msg.type === 'deregister') this.desk.onDeregister(msg, { from, size });
        else this.desk.onKeepalive(msg, { from, size });
      },
    });
    this.desk = new RegistrationDesk({
      env,
      registry: this.registry,
      cfg,
      role: 'relay',
      isSelf: ownAddresses(
        () => [this.udp.endpoint?.localAddress()],
        opts.advertise ? [opts.advertise] : [],
      ),
      reply: (m, req) => this.udp.socket?.reply(m, req.from, req.size),
      drop: (reason) => this.udp.drops.count(reason),
      onDeregistered: (id) => this.udp.relay.forgetHome(id),
    });
  }

  start(): RelayCore {
    const core = this.udp.start();
    const sweep = (): void => {
      this.registry.sweep(this.env.clock.now());
      this.sweepTimer = this.env.clock.setTimer(SWEEP_MS, sweep);
    };
    this.sweepTimer = this.env.clock.setTimer(SWEEP_MS, sweep);
    return core;
  }

  get relay(): RelayCore {
    return this.udp.relay;
  }

  get endpoint(): UdpRelay['endpoint'] {
    return this.udp.endpoint;
  }

  get stats(): RelayNodeStats {
    return {
      homes: this.registry.size,
      relay: this.udp.relay.stats,
      dropped: this.udp.drops.toJSON(),
    };
  }

  close(): void {
    this.sweepTimer?.cancel();
    this.udp.close();
  }
}
