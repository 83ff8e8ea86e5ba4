// The home's standing with the rendezvous: register from the listening socket (so the rendezvous
// sees the NAT mapping clients must reach), keep that mapping alive, register again when the
// rendezvous forgets us, and measure the hop distance that sets the hole-opening TTL.
import type { Env, SocketAddr, TimerHandle } from '../net/types.js';
import { Retransmitter, type RetransmitOptions } from '../net/retransmit.js';
import type { TxIds } from '../net/tx-ids.js';
import { formatAddr, sameAddr } from '../wire/addr.js';
import {
  ErrorCode,
  MAX_LOCALS,
  REQUEST_PAD,
  type Message,
  type MessageOf,
} from '../wire/messages.js';
import type { HomeConfig, HomeOptions } from './config.js';
import { DEFAULT_HOP_METER, HopMeter } from './hop-meter.js';
import type { RendezvousRotation } from './rotation.js';
import { natToWire, UNKNOWN_NAT, type NatClass } from '../discovery/nat-class.js';
import type { WireNat } from '../wire/messages.js';

/** How the registration sends: padded requests to the rendezvous, or TTL-limited hop probes. */
export type HomeSend = (msg: Message, to: SocketAddr, padTo?: number, ttl?: number) => void;

export class Registration {
  private observedAddr: SocketAddr | undefined;
  private register: Retransmitter | undefined;
  private keepalive: Retransmitter | undefined;
  private keepaliveTimer: TimerHandle | undefined;
  private backoffTimer: TimerHandle | undefined;
  private registerTx = -1;
  private registerSentAt = 0;
  private keepaliveTx = -1;
  private readonly registeredCbs: Array<(observed: SocketAddr, via: SocketAddr) => void> = [];
  /** The node we last registered with (a change fires onRegistered even if `observed` did not). */
  private via: SocketAddr | undefined;
  private readonly hops: HopMeter;
  private closed = false;
  /** The server (formatAddr) that refused a bound proof as malformed: it gets unbound ones. */
  private unboundFor: string | undefined;
  /** Round trip to the rendezvous, from the last registration (times the re-spray). */
  rvRttMs: number | undefined;

  constructor(
    private readonly env: Env,
    private readonly opts: HomeOptions,
    private readonly cfg: HomeConfig,
    private readonly tx: TxIds,
    private readonly send: HomeSend,
    /** The listening socket's port, once bound (for the LAN addresses offered to clients). */
    private readonly localPort: () => number | undefined,
    private readonly rv: RendezvousRotation,
    /** Who we register with, for the log: 'rendezvous', or 'relay node' (issue 10). */
    private readonly peer = 'rendezvous',
  ) {
    this.hops = new HopMeter(env.clock, DEFAULT_HOP_METER, (m, to, ttl) =>
      this.send(m, to, undefined, ttl),
    );
  }

  get observed(): SocketAddr | undefined {
    return this.observedAddr;
  }

  get hopDistance(): number | undefined {
    return this.hops.distance;
  }

  onRegistered(cb: (observed: SocketAddr, via: SocketAddr) => void): void {
    this.registeredCbs.push(cb);
    if (this.observedAddr && this.via) cb(this.observedAddr, this.via);
  }

  /** The node we talk to now. */
  get rendezvous(): SocketAddr {
    return this.rv.current();
  }

  /** The current node stopped answering: the next one of the cluster (if any), registering anew. */
  private failover(why: string): void {
    const from = this.rv.current();
    if (this.rv.size > 1)
      this.env.log.warn(
        { from: formatAddr(from), to: formatAddr(this.rv.advance()) },
        `${why}; moving to the next rendezvous node`,
      );
    else this.env.log.warn({}, `${why}; registering again`);
  }

  /** The home's NAT class (issue 9): sent with every registration, its depth sets the TTL. */
  nat: () => NatClass = () => UNKNOWN_NAT;

  /**
   * TTL for hole-opening packets (undefined: the OS default): --spray-ttl, else the measured
   * own-NAT depth + 1, else the hop meter's estimate.
   */
  holeTtl(): number | undefined {
    const t = this.cfg.sprayTtl;
    if (t === 'os') return undefined;
    if (t !== 'auto') return t;
    const depth = this.nat().natDepth;
    return depth !== undefined ? depth + 1 : this.hops.holeTtl();
  }

  close(): void {
    this.closed = true;
    this.register?.cancel();
    this.keepalive?.cancel();
    this.keepaliveTimer?.cancel();
    this.backoffTimer?.cancel();
    this.hops.cancel();
  }

  start(): void {
    if (this.closed) return;
    this.keepaliveTimer?.cancel();
    this.keepalive?.cancel();
    this.register?.cancel();
    const tx = this.tx.next();
    this.register = new Retransmitter(
      this.env.clock,
      this.cfg.registerRetransmit,
      () => {
        this.registerSentAt = this.env.clock.now();
        this.send(
          {
            type: 'register',
            tx,
            homeId: this.opts.id,
            locals: this.locals(),
            // Bound to this server (issue 21 item 4): useless at a relay node or another node.
            // A server older than the binding cannot read a bound proof: it gets an unbound one.
            auth:
              this.opts.trust?.registrationAuth(
                this.opts.id,
                this.unboundFor === formatAddr(this.rv.current())
                  ? undefined
                  : {
                      role: this.peer === 'rendezvous' ? 'rendezvous' : 'relay',
                      addr: this.rv.current(),
                    },
              ) ?? new Uint8Array(0),
            ...this.natExt(),
          },
          this.rv.current(),
          REQUEST_PAD,
        );
      },
      () => {
        this.env.log.warn(
          { rendezvous: formatAddr(this.rv.current()) },
          `${this.peer} does not answer; will keep trying`,
        );
        // Another node of the cluster is tried at once; a single node after the backoff.
        if (this.rv.size > 1) {
          this.failover('registration unanswered');
          this.start();
        } else this.backoff();
      },
    );
    this.registerTx = tx;
    this.register.start();
  }

  private natExt(): { nat?: WireNat } {
    const nat = this.nat();
    return nat.mapping === 'unknown' ? {} : { nat: natToWire(nat) };
  }

  private backoff(): void {
    this.backoffTimer = this.env.clock.setTimer(this.cfg.reregisterBackoffMs, () => this.start());
  }

  private locals(): SocketAddr[] {
    const port = this.localPort();
    if (!port || !this.opts.localIps) return [];
    return this.opts.localIps.slice(0, MAX_LOCALS).map((ip) => ({ ip, port }));
  }

  onRegisteredMsg(msg: MessageOf<'registered'>): void {
    if (msg.tx !== this.registerTx || !this.register?.active) return;
    this.register.ack();
    this.rvRttMs = this.env.clock.now() - this.registerSentAt;
    const via = this.rv.current();
    const changed =
      !this.observedAddr ||
      !sameAddr(this.observedAddr, msg.observed) ||
      !this.via ||
      !sameAddr(this.via, via);
    this.observedAddr = msg.observed;
    this.via = via;
    if (changed) {
      const log = {
        observed: formatAddr(msg.observed),
        [this.peer === 'rendezvous' ? 'rendezvous' : 'relay']: formatAddr(via),
      };
      this.env.log.info(log, `registered with ${this.peer}`);
      this.opts.metrics?.registration();
      for (const cb of this.registeredCbs) cb(msg.observed, via);
      if (this.cfg.sprayTtl === 'auto') {
        this.hops.measure(via, this.tx.next(), (d) =>
          this.env.log.info(
            { hopDistance: d, sprayTtl: this.holeTtl() },
            'measured hops to the rendezvous',
          ),
        );
      }
    }
    // Keep well inside both the NAT timeout and the registration lifetime.
    const period = Math.min(this.cfg.keepaliveMs, Math.max(1000, msg.ttlMs / 3));
    this.scheduleKeepalive(period);
  }

  onHopReply(msg: MessageOf<'hopReply'>): void {
    this.hops.onReply(msg);
  }

  private scheduleKeepalive(period: number): void {
    this.keepaliveTimer = this.env.clock.setTimer(period, () => {
      const tx = this.tx.next();
      this.keepaliveTx = tx;
      this.keepalive = new Retransmitter(
        this.env.clock,
        keepaliveRetransmit(period),
        () =>
          this.send(
            { type: 'keepalive', tx, homeId: this.opts.id },
            this.rv.current(),
            REQUEST_PAD,
          ),
        () => {
          this.failover('keepalives unanswered');
          this.start();
        },
      ).start();
      this.scheduleKeepalive(period);
    });
  }

  onKeepaliveAck(msg: MessageOf<'keepaliveAck'>): void {
    if (msg.tx !== this.keepaliveTx) return;
    this.keepalive?.ack();
    if (this.observedAddr && !sameAddr(this.observedAddr, msg.observed)) {
      this.env.log.info({ observed: formatAddr(msg.observed) }, 'NAT mapping changed');
      this.observedAddr = msg.observed;
      for (const cb of this.registeredCbs) cb(msg.observed, this.rv.current());
    }
  }

  /** An error from the rendezvous; returns whether it concerned the registration. */
  onError(msg: MessageOf<'error'>): boolean {
    if (
      msg.code === ErrorCode.UnknownHome &&
      (msg.tx === this.keepaliveTx || msg.tx === this.registerTx)
    ) {
      this.env.log.info({}, `${this.peer} forgot us; registering again`);
      this.start();
      return true;
    }
    if (
      msg.code === ErrorCode.Unauthorized &&
      msg.tx === this.registerTx &&
      OLDER_SERVER_REFUSAL.test(msg.message) &&
      this.opts.trust &&
      this.unboundFor !== formatAddr(this.rv.current())
    ) {
      // A server older than the bound proofs (issue 21 item 10, docs/upgrade-order.md) reads
      // our well-formed bound proof as malformed: register with an unbound one (what it and
      // every newer server take) until it is upgraded. Nothing is lost that such a server kept.
      this.unboundFor = formatAddr(this.rv.current());
      this.env.log.warn(
        { rendezvous: this.unboundFor },
        `the ${this.peer} is older than this home (it cannot read a proof bound to it): registering with an unbound proof; upgrade it`,
      );
      this.start();
      return true;
    }
    if (msg.code === ErrorCode.Unauthorized && msg.tx === this.registerTx) {
      // Retrying at once would only be refused again; the backoff round will try later.
      this.register?.cancel();
      this.env.log.error({ message: msg.message }, `the ${this.peer} refused our registration`);
      this.backoff();
      return true;
    }
    return false;
  }
}

/** What a server older than the bound proofs answers one (its strict reader sees extra bytes). */
const OLDER_SERVER_REFUSAL = /malformed registration auth/;

/**
 * Keepalive re-sends: 1, 2, 4, 4 s for the default 20 s period (given up 11 s after the first
 * send), at most 0.69 of a period for shorter ones: a dead node is left, and the next one
 * registered with, within 2 keepalive periods of its death (cluster failover, issue 12).
 */
export function keepaliveRetransmit(periodMs: number): RetransmitOptions {
  return {
    rtoMs: Math.min(1000, periodMs / 16),
    maxRtoMs: Math.min(4000, periodMs / 4),
    maxSends: 4,
  };
}
