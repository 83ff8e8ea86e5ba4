// The rendezvous: the patent's third-party server (its figure 2). Classifies each datagram,
// acts, drops the rest. It keeps only what it needs to route messages: registered homes and
// short-lived assist sessions (so a retransmitted request is answered, not acted on twice).
import type { BindOptions, Env, SocketAddr, TimerHandle } from '../net/types.js';
import { Retransmitter, type RetransmitOptions } from '../net/retransmit.js';
import { DropCounter, MessageSocket } from '../proto/endpoint-io.js';
import { withDefaults } from '../proto/options.js';
import { formatAddr, sameAddr } from '../wire/addr.js';
import {
  ErrorCode,
  type Message,
  type MessageOf,
  type PunchMode,
  type SessionId,
} from '../wire/messages.js';
import { verifyRegistration } from '../secure/auth.js';
import { DERIVED_ID } from '../secure/keys.js';
import { RateLimiter, type RateLimitOptions } from '../secure/rate-limit.js';
import { ReplayGuard } from '../secure/replay.js';
import { MemoryRegistry, type HomeRegistry } from './registry.js';
import { dropCounter } from '../ops/drops.js';
import type { RendezvousMetrics } from '../ops/metrics.js';
import type { ClientRoute, ClusterHooks } from './cluster/hooks.js';

export interface RendezvousConfig {
  /** A registration lives this long unless refreshed by a keepalive. */
  registrationTtlMs: number;
  maxHomes: number;
  /** Assist sessions in flight at once; past it new requests get Busy. */
  maxSessions: number;
  sessionTtlMs: number;
  /** PeerInfo is retransmitted to the home until its SprayDone arrives. */
  peerInfoRetransmit: RetransmitOptions;
  sweepIntervalMs: number;
  /** Every datagram, per source IP. */
  perIpLimit: RateLimitOptions;
  /** Assist requests per home (each one makes the home spray). */
  perHomeAssistLimit: RateLimitOptions;
  /** Refuse unsigned registrations of open (not key-derived) home ids. */
  requireSigned: boolean;
}

export const DEFAULT_RENDEZVOUS: RendezvousConfig = {
  registrationTtlMs: 90_000,
  maxHomes: 100_000,
  maxSessions: 10_000,
  sessionTtlMs: 30_000,
  peerInfoRetransmit: { rtoMs: 300, maxRtoMs: 1200, maxSends: 5 },
  sweepIntervalMs: 5_000,
  perIpLimit: { ratePerSec: 200, burst: 400, maxKeys: 100_000 },
  perHomeAssistLimit: { ratePerSec: 5, burst: 20, maxKeys: 100_000 },
  requireSigned: false,
};

export interface RendezvousOptions extends Partial<RendezvousConfig> {
  listen: BindOptions;
  registry?: HomeRegistry;
  /** Cluster mode (issue 12): directory writes and cross-node assists. */
  cluster?: ClusterHooks;
  metrics?: RendezvousMetrics;
}

interface Session {
  readonly id: SessionId;
  readonly homeId: string;
  readonly client: SocketAddr;
  /** The client's assist tx, so the home's refusal reaches it as an answer. */
  readonly assistTx: number;
  readonly expiresAt: number;
  state: 'spraying' | 'ready';
  home: SocketAddr;
  homeLocals: SocketAddr[];
  mode: PunchMode;
  peerInfo: Retransmitter;
  /** Set when the client talks to another node: answers go back through the cluster. */
  route?: ClientRoute;
}

export interface RendezvousStats {
  received: number;
  registrations: number;
  assists: number;
  readies: number;
  addrQueries: number;
  homes: number;
  sessions: number;
  dropped: Record<string, number>;
}

export class RendezvousServer {
  private readonly cfg: RendezvousConfig;
  private readonly registry: HomeRegistry;
  private readonly sessions = new Map<SessionId, Session>();
  private readonly drops: DropCounter;
  private sock: MessageSocket | undefined;
  private sweepTimer: TimerHandle | undefined;
  private counts = { registrations: 0, assists: 0, readies: 0, addrQueries: 0 };
  private txSeq: number;
  private readonly perIp: RateLimiter;
  private readonly perHome: RateLimiter;
  private readonly replay = new ReplayGuard();

  constructor(
    private readonly env: Env,
    private readonly opts: RendezvousOptions,
  ) {
    this.cfg = withDefaults(DEFAULT_RENDEZVOUS, opts);
    this.drops = dropCounter(opts.metrics);
    this.registry = opts.registry ?? new MemoryRegistry(this.cfg.maxHomes);
    this.txSeq = env.rng.int(0x7fffffff);
    this.perIp = new RateLimiter(this.cfg.perIpLimit);
    this.perHome = new RateLimiter(this.cfg.perHomeAssistLimit);
  }

  start(): void {
    const ep = this.env.net.open(this.opts.listen);
    this.sock = new MessageSocket(ep, this.drops, this.env.log, (m, from, size) =>
      this.handle(m, from, size),
    );
    this.scheduleSweep();
  }

  get endpoint(): MessageSocket['ep'] | undefined {
    return this.sock?.ep;
  }

  get stats(): RendezvousStats {
    return {
      received: this.sock?.received ?? 0,
      ...this.counts,
      homes: this.registry.size,
      sessions: this.sessions.size,
      dropped: this.drops.toJSON(),
    };
  }

  close(): void {
    this.sweepTimer?.cancel();
    for (const s of this.sessions.values()) s.peerInfo.cancel();
    this.sessions.clear();
    this.sock?.close();
  }

  private scheduleSweep(): void {
    this.sweepTimer = this.env.clock.setTimer(this.cfg.sweepIntervalMs, () => {
      const now = this.env.clock.now();
      this.registry.sweep(now);
      for (const [id, s] of this.sessions) {
        if (s.expiresAt <= now) {
          s.peerInfo.cancel();
          this.sessions.delete(id);
        }
      }
      this.scheduleSweep();
    });
  }

  private nextTx(): number {
    this.txSeq = (this.txSeq + 1) >>> 0;
    return this.txSeq;
  }

  /** Messages we originate (to a registered home, or Ready to a client that asked). */
  private send(msg: Message, to: SocketAddr): void {
    this.sock?.send(msg, to);
  }

  /** Answers never carry more bytes than the request did (no amplification). */
  private reply(msg: Message, to: SocketAddr): void {
    if (this.route) return this.route.reply(msg);
    this.sock?.reply(msg, to, this.requestSize);
  }

  private error(tx: number, code: ErrorCode, message: string, to: SocketAddr): void {
    this.reply({ type: 'error', tx, code, message }, to);
  }

  private requestSize = 0;

  private handle(msg: Message, from: SocketAddr, size: number): void {
    if (!this.perIp.take(from.ip, this.env.clock.now())) {
      this.drops.count('rate-limited-ip');
      return;
    }
    this.requestSize = size;
    switch (msg.type) {
      case 'register':
        return this.onRegister(msg, from);
      case 'keepalive':
        return this.onKeepalive(msg, from);
      case 'assist':
        return this.onAssist(msg, from);
      case 'sprayDone':
        return this.onSprayDone(msg, from);
      case 'refuse':
        return this.onRefuse(msg, from);
      case 'addrQuery':
        return this.onAddrQuery(msg, from);
      case 'observe':
        return this.reply({ type: 'observed', tx: msg.tx, addr: from }, from);
      case 'hopProbe':
        // Stateless echo of the same size: lets a peer measure its hop distance to us.
        return this.reply({ type: 'hopReply', tx: msg.tx, ttl: msg.ttl }, from);
      default:
        // Figure 2, last branch: anything else is useless here.
        this.drops.count(`unexpected-${msg.type}`);
    }
  }

  /** Key-derived ids need a valid, fresh signature; open ids are accepted unless requireSigned. */
  private registrationRefusal(msg: MessageOf<'register'>): string | undefined {
    if (!DERIVED_ID.test(msg.homeId)) {
      return this.cfg.requireSigned
        ? 'this rendezvous only accepts signed homes (porthole home --state)'
        : undefined;
    }
    const v = verifyRegistration(msg.homeId, msg.auth);
    if (!v.ok) return `registration refused: ${v.reason}`;
    if (!this.replay.accept(v.nonce, v.time, Date.now()))
      return 'registration refused: stale or replayed (check the home clock)';
    return undefined;
  }

  private onRegister(msg: MessageOf<'register'>, from: SocketAddr): void {
    const refusal = this.registrationRefusal(msg);
    if (refusal) {
      this.drops.count('register-refused');
      return this.error(msg.tx, ErrorCode.Unauthorized, refusal, from);
    }
    const now = this.env.clock.now();
    const prev = this.registry.get(msg.homeId, now);
    const ok = this.registry.put({
      id: msg.homeId,
      addr: from,
      locals: msg.locals,
      registeredAt: prev && sameAddr(prev.addr, from) ? prev.registeredAt : now,
      expiresAt: now + this.cfg.registrationTtlMs,
    });
    if (!ok) {
      this.drops.count('registry-full');
      return this.error(msg.tx, ErrorCode.Busy, 'rendezvous is full; try another node', from);
    }
    this.opts.cluster?.onLocalRegister(msg.homeId, from);
    if (!prev || !sameAddr(prev.addr, from)) {
      this.counts.registrations++;
      this.opts.metrics?.registration();
      this.env.log.info({ home: msg.homeId, addr: formatAddr(from) }, 'home registered');
    }
    this.reply(
      { type: 'registered', tx: msg.tx, observed: from, ttlMs: this.cfg.registrationTtlMs },
      from,
    );
  }

  private onKeepalive(msg: MessageOf<'keepalive'>, from: SocketAddr): void {
    const now = this.env.clock.now();
    const rec = this.registry.get(msg.homeId, now);
    if (!rec || !sameAddr(rec.addr, from)) {
      // Unknown, expired, or the home's mapping changed: it must register again.
      this.drops.count('keepalive-unknown');
      return this.error(msg.tx, ErrorCode.UnknownHome, 'not registered; register again', from);
    }
    rec.expiresAt = now + this.cfg.registrationTtlMs;
    this.opts.cluster?.onLocalKeepalive(msg.homeId, from);
    this.reply({ type: 'keepaliveAck', tx: msg.tx, observed: from }, from);
  }

  private onAssist(msg: MessageOf<'assist'>, from: SocketAddr): void {
    const now = this.env.clock.now();
    const existing = this.sessions.get(msg.session);
    if (existing) {
      if (!sameAddr(existing.client, from) || existing.homeId !== msg.homeId) {
        this.drops.count('assist-session-clash');
        return;
      }
      // A retransmission: answer again, never spray again.
      this.reply({ type: 'assistAck', tx: msg.tx, session: msg.session, observed: from }, from);
      if (existing.state === 'ready') this.sendReady(existing);
      return;
    }
    const home = this.registry.get(msg.homeId, now);
    if (!home) {
      if (!this.route && this.opts.cluster?.forwardAssist(msg, from, this.requestSize)) return;
      this.drops.count('assist-unknown-home');
      return this.error(
        msg.tx,
        ErrorCode.UnknownHome,
        `home ${msg.homeId} is not registered`,
        from,
      );
    }
    if (this.sessions.size >= this.cfg.maxSessions) {
      this.drops.count('sessions-full');
      return this.error(
        msg.tx,
        ErrorCode.Busy,
        'too many traversals in progress; retry shortly',
        from,
      );
    }
    if (!this.perHome.take(msg.homeId, now)) {
      this.drops.count('rate-limited-home');
      return this.error(
        msg.tx,
        ErrorCode.RateLimited,
        'too many requests for this home; retry shortly',
        from,
      );
    }
    this.counts.assists++;
    this.opts.metrics?.assist('accepted');
    const tx = this.nextTx();
    const session: Session = {
      id: msg.session,
      homeId: msg.homeId,
      client: from,
      assistTx: msg.tx,
      home: home.addr,
      // Same public IP: client and home may share a LAN, where the LAN address is the way in.
      homeLocals: home.addr.ip === from.ip ? home.locals : [],
      expiresAt: now + this.cfg.sessionTtlMs,
      state: 'spraying',
      mode: msg.mode,
      route: this.route,
      peerInfo: new Retransmitter(
        this.env.clock,
        this.cfg.peerInfoRetransmit,
        () =>
          this.send(
            {
              type: 'peerInfo',
              tx,
              session: msg.session,
              client: from,
              mode: msg.mode,
              auth: msg.auth,
            },
            home.addr,
          ),
        () =>
          this.env.log.warn(
            { home: msg.homeId, session: msg.session },
            'home did not answer PeerInfo',
          ),
      ),
    };
    this.sessions.set(msg.session, session);
    this.reply({ type: 'assistAck', tx: msg.tx, session: msg.session, observed: from }, from);
    session.peerInfo.start();
    this.env.log.debug(
      { home: msg.homeId, client: formatAddr(from), session: msg.session },
      'assist',
    );
  }

  private onSprayDone(msg: MessageOf<'sprayDone'>, from: SocketAddr): void {
    const session = this.sessions.get(msg.session);
    if (!session || !sameAddr(session.home, from)) {
      this.drops.count('spraydone-unknown');
      return;
    }
    this.send({ type: 'sprayDoneAck', tx: msg.tx, session: msg.session }, from);
    if (session.state === 'ready') return;
    session.peerInfo.ack();
    session.state = 'ready';
    this.sendReady(session);
  }

  /** The home refused this client (not paired, bad code…): tell the client, end the session. */
  private onRefuse(msg: MessageOf<'refuse'>, from: SocketAddr): void {
    const session = this.sessions.get(msg.session);
    if (!session || !sameAddr(session.home, from)) {
      this.drops.count('refuse-unknown');
      return;
    }
    session.peerInfo.cancel();
    this.sessions.delete(msg.session);
    this.toClient(session, {
      type: 'error',
      tx: session.assistTx,
      code: msg.code,
      message: msg.message,
    });
  }

  private sendReady(s: Session): void {
    this.counts.readies++;
    this.opts.metrics?.ready();
    this.toClient(s, {
      type: 'ready',
      tx: this.nextTx(),
      session: s.id,
      home: s.home,
      locals: s.homeLocals,
      mode: s.mode,
    });
  }

  private onAddrQuery(msg: MessageOf<'addrQuery'>, from: SocketAddr): void {
    this.counts.addrQueries++;
    const home = this.registry.get(msg.homeId, this.env.clock.now());
    // Cluster: the home may be held by another node; an error here would end a connect in flight.
    if (!home && this.opts.cluster) return this.drops.count('addrquery-not-local');
    if (!home)
      return this.error(
        msg.tx,
        ErrorCode.UnknownHome,
        `home ${msg.homeId} is not registered`,
        from,
      );
    this.reply({ type: 'addrReply', tx: msg.tx, homeId: msg.homeId, home: home.addr }, from);
  }

  // --- cluster hook points (issue 12) ----------------------------------------------------------

  /** Set only while a forwarded assist is being handled: replies go back through the cluster. */
  private route: ClientRoute | undefined;

  /** Ready and refusals reach the client directly, or through the node it talks to. */
  private toClient(s: Session, msg: Message): void {
    if (s.route) s.route.send(msg);
    else this.send(msg, s.client);
  }

  /** An assist another node received for a home held here: figure 2 runs here, answers go back. */
  handleForwarded(
    msg: MessageOf<'assist'>,
    client: SocketAddr,
    size: number,
    route: ClientRoute,
  ): void {
    this.requestSize = size;
    this.route = route;
    try {
      this.onAssist(msg, client);
    } finally {
      this.route = undefined;
    }
  }

  /** The home registered with another node since: drop it here. */
  forgetHome(homeId: string): void {
    this.registry.delete(homeId);
  }

  /** The cluster answers a client of this node (an owner's answer, or a forwarding failure). */
  answerClient(msg: Message, to: SocketAddr, requestSize: number | undefined): void {
    if (requestSize === undefined) this.sock?.send(msg, to);
    else this.sock?.reply(msg, to, requestSize);
  }
}
