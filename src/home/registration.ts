// The home's standing with the rendezvous: register from the listening socket (so the rendezvous
// sees the NAT mapping clients must reach), keep that mapping alive, register again when the
// rendezvous forgets us, and measure the hop distance that sets the hole-opening TTL.
import type { Env, SocketAddr, TimerHandle } from '../net/types.js';
import { Retransmitter } from '../net/retransmit.js';
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
  private readonly registeredCbs: Array<(observed: SocketAddr) => void> = [];
  private readonly hops: HopMeter;
  private closed = false;
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

  onRegistered(cb: (observed: SocketAddr) => void): void {
    this.registeredCbs.push(cb);
    if (this.observedAddr) cb(this.observedAddr);
  }

  /** TTL for hole-opening packets (undefined: the OS default). */
  holeTtl(): number | undefined {
    const t = this.cfg.sprayTtl;
    return t === 'os' ? undefined : t === 'auto' ? this.hops.holeTtl() : t;
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
            auth: this.opts.trust?.registrationAuth(this.opts.id) ?? new Uint8Array(0),
          },
          this.opts.rendezvous,
          REQUEST_PAD,
        );
      },
      () => {
        this.env.log.warn(
          { rendezvous: formatAddr(this.opts.rendezvous) },
          'rendezvous does not answer; will keep trying',
        );
        this.backoff();
      },
    );
    this.registerTx = tx;
    this.register.start();
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
    const changed = !this.observedAddr || !sameAddr(this.observedAddr, msg.observed);
    this.observedAddr = msg.observed;
    if (changed) {
      this.env.log.info({ observed: formatAddr(msg.observed) }, 'registered with rendezvous');
      for (const cb of this.registeredCbs) cb(msg.observed);
      if (this.cfg.sprayTtl === 'auto') {
        this.hops.measure(this.opts.rendezvous, this.tx.next(), (d) =>
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
        { rtoMs: 1000, maxRtoMs: 4000, maxSends: 4 },
        () =>
          this.send(
            { type: 'keepalive', tx, homeId: this.opts.id },
            this.opts.rendezvous,
            REQUEST_PAD,
          ),
        () => {
          this.env.log.warn({}, 'keepalives unanswered; registering again');
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
      for (const cb of this.registeredCbs) cb(msg.observed);
    }
  }

  /** An error from the rendezvous; returns whether it concerned the registration. */
  onError(msg: MessageOf<'error'>): boolean {
    if (
      msg.code === ErrorCode.UnknownHome &&
      (msg.tx === this.keepaliveTx || msg.tx === this.registerTx)
    ) {
      this.env.log.info({}, 'rendezvous forgot us; registering again');
      this.start();
      return true;
    }
    if (msg.code === ErrorCode.Unauthorized && msg.tx === this.registerTx) {
      // Retrying at once would only be refused again; the backoff round will try later.
      this.register?.cancel();
      this.env.log.error({ message: msg.message }, 'the rendezvous refused our registration');
      this.backoff();
      return true;
    }
    return false;
  }
}
