// The rendezvous: the patent's third-party server (its figure 2). Classifies each datagram,
// acts, drops the rest. It keeps only what it needs to route messages: registered homes and
// short-lived assist sessions (so a retransmitted request is answered, not acted on twice).
import type { Env, SocketAddr, TimerHandle } from '../net/types.js';
import { TxIds } from '../net/tx-ids.js';
import { type DropCounter, MessageSocket } from '../net/message-socket.js';
import { withDefaults } from '../options.js';
import { ErrorCode, type Message, type MessageOf } from '../wire/messages.js';
import { RateLimiter } from '../util/rate-limit.js';
import {
  DEFAULT_RENDEZVOUS,
  type RendezvousConfig,
  type RendezvousOptions,
  type RendezvousStats,
} from './config.js';
import { MemoryRegistry, type HomeRegistry } from './registry.js';
import type { Request } from './session.js';
import { AssistDesk } from './assist-desk.js';
import { ownAddresses, RegistrationDesk } from './registration-desk.js';
import { dropCounter } from '../ops/drops.js';
import type { ClientRoute } from './cluster/hooks.js';
import { CandidateDesk } from './candidate-desk.js';
import { isV4Mapped, listenList, socketFor } from './listen.js';
import { attachStun, type RendezvousStun } from './stun.js';
import { RelayCore } from '../relay/server.js';
import type { RedirectTarget } from '../relay/redirect.js';

export { DEFAULT_RENDEZVOUS };
export type { RendezvousConfig, RendezvousOptions, RendezvousStats } from './config.js';

export class RendezvousServer {
  private readonly cfg: RendezvousConfig;
  private readonly registry: HomeRegistry;
  private readonly drops: DropCounter;
  private socks: MessageSocket[] = [];
  /** Issue 13: the homes' mapped/IPv6 candidates and the mapping check. */
  readonly candidates: CandidateDesk;
  private stun: RendezvousStun | undefined;
  /** Relayed sessions to registered homes (issue 10), over these sockets and any TCP/WS fronts. */
  private relayCore: RelayCore | undefined;
  private sweepTimer: TimerHandle | undefined;
  private readonly counts = { registrations: 0, assists: 0, readies: 0, addrQueries: 0 };
  private readonly tx: TxIds;
  private readonly perIp: RateLimiter;
  private readonly perHome: RateLimiter;
  /** Registrations and keepalives (shared with the standalone relay node). */
  private readonly homes: RegistrationDesk;
  /** Figure 2's assist family: sessions, PeerInfo, SprayDone, Ready, refusals. */
  private readonly assists: AssistDesk;

  constructor(
    private readonly env: Env,
    private readonly opts: RendezvousOptions,
  ) {
    this.cfg = withDefaults(DEFAULT_RENDEZVOUS, opts);
    this.drops = dropCounter(opts.metrics);
    this.registry = opts.registry ?? new MemoryRegistry(this.cfg.maxHomes);
    this.tx = new TxIds(env.rng);
    this.perIp = new RateLimiter(this.cfg.perIpLimit);
    this.perHome = new RateLimiter(this.cfg.perHomeAssistLimit);
    this.candidates = new CandidateDesk(
      env,
      {
        homeAddr: (id) => this.registry.get(id, env.clock.now())?.addr,
        reply: (m, from, size) => this.reply(m, { from, size }),
        send: (m, to) => this.send(m, to),
        nextTx: () => this.tx.next(),
        drop: (reason) => this.drops.count(reason),
      },
      this.cfg.maxHomes,
    );
    this.homes = new RegistrationDesk({
      env,
      registry: this.registry,
      cfg: this.cfg,
      role: 'rendezvous',
      isSelf: ownAddresses(
        () => this.socks.map((sk) => sk.ep.localAddress()),
        opts.advertise ? [opts.advertise] : [],
      ),
      reply: (m, req) => this.reply(m, req),
      drop: (reason) => this.drops.count(reason),
      onRegistered: (msg, from, isNew) => {
        opts.cluster?.onLocalRegister(msg.homeId, from);
        if (!isNew) return;
        this.counts.registrations++;
        opts.metrics?.registration();
      },
      onKeepalive: (homeId, from) => opts.cluster?.onLocalKeepalive(homeId, from),
      onDeregistered: (homeId) => {
        opts.cluster?.onLocalDeregister?.(homeId);
        this.relayCore?.forgetHome(homeId);
      },
      // Relay placement: each answer is followed by the relay node homes must register with.
      afterAnswer: (tx, req) => {
        if (opts.relayNode) this.reply({ type: 'relayNode', tx, relay: opts.relayNode.relay }, req);
      },
    });
    this.assists = new AssistDesk({
      env,
      cfg: this.cfg,
      opts,
      registry: this.registry,
      perHome: this.perHome,
      counts: this.counts,
      reply: (m, req) => this.reply(m, req),
      error: (tx, code, message, req) => this.error(tx, code, message, req),
      send: (m, to) => this.send(m, to),
      nextTx: () => this.tx.next(),
      drop: (reason) => this.drops.count(reason),
      offline: (id, now) => this.homes.isOffline(id, now),
    });
  }

  start(): void {
    // One socket per family, each on an explicit address (--listen repeatable); STUN (issue 9)
    // shares the first one (demultiplexed by the magic cookie).
    this.socks = listenList(this.opts.listen).map((b, i) => {
      const ep = this.env.net.open(b);
      if (i === 0 && this.opts.stun) this.stun = attachStun(this.env, ep, this.opts.stun);
      return new MessageSocket(
        ep,
        this.drops,
        this.env.log,
        (m, from, size) => this.handle(m, from, size),
        i === 0 ? this.stun?.intercept : undefined,
      );
    });
    if (this.opts.relay !== false)
      this.relayCore = new RelayCore(this.env, {
        ...this.opts.relay,
        lookupHome: (id) => this.registry.get(id, this.env.clock.now())?.addr,
        sendUdp: (d, to) => socketFor(this.socks, to)?.ep.send(d, to),
        relayNode: this.opts.relayNode,
        offline: (id) => this.homes.isOffline(id, this.env.clock.now()),
        locate: this.ownerRelay(),
        metrics: this.opts.metrics?.relay,
      });
    this.scheduleSweep();
  }

  /** Cluster: the node holding a home relays it (same fronts as this node's). */
  private ownerRelay(): ((homeId: string) => Promise<RedirectTarget | undefined>) | undefined {
    const cluster = this.opts.cluster;
    if (!cluster?.ownerOf) return undefined;
    const ports = this.opts.relayFrontPorts ?? { tcpPort: 0, wsPort: 0 };
    return async (id) => {
      const relay = await cluster.ownerOf?.(id);
      return relay && { relay, ...ports };
    };
  }

  get endpoint(): MessageSocket['ep'] | undefined {
    return this.socks[0]?.ep;
  }

  get endpoints(): MessageSocket['ep'][] {
    return this.socks.map((s) => s.ep);
  }

  /** The relay core, for its TCP/WebSocket fronts (relay/tcp-server.ts, ws-server.ts). */
  get relay(): RelayCore | undefined {
    return this.relayCore;
  }

  get stats(): RendezvousStats {
    return {
      received: this.socks.reduce((n, s) => n + s.received, 0),
      ...this.counts,
      homes: this.registry.size,
      sessions: this.assists.sessions.size,
      dropped: this.drops.toJSON(),
      ...(this.relayCore ? { relay: this.relayCore.stats } : {}),
    };
  }

  close(): void {
    this.sweepTimer?.cancel();
    this.assists.close();
    this.relayCore?.close();
    this.stun?.close();
    for (const s of this.socks) s.close();
  }

  private scheduleSweep(): void {
    this.sweepTimer = this.env.clock.setTimer(this.cfg.sweepIntervalMs, () => {
      const now = this.env.clock.now();
      this.registry.sweep(now);
      this.assists.sweep(now);
      this.scheduleSweep();
    });
  }

  /** Messages we originate (to a registered home, or Ready to a client that asked). */
  private send(msg: Message, to: SocketAddr): void {
    socketFor(this.socks, to)?.send(msg, to);
  }

  /** Answers never carry more bytes than the request did (no amplification). */
  private reply(msg: Message, req: Request): void {
    if (req.route) return req.route.reply(msg);
    socketFor(this.socks, req.from)?.reply(msg, req.from, req.size);
  }

  private error(tx: number, code: ErrorCode, message: string, req: Request): void {
    this.reply({ type: 'error', tx, code, message }, req);
  }

  private handle(msg: Message, from: SocketAddr, size: number): void {
    // Relayed frames are bounded by the relay's byte caps, not the per-IP datagram budget.
    if (msg.type === 'relayData' && this.relayCore?.onUdp(msg, from, size)) return;
    if (!this.perIp.take(from.ip, this.env.clock.now())) {
      this.drops.count('rate-limited-ip');
      return;
    }
    if (isV4Mapped(from)) return this.drops.count('v4-mapped-source');
    if (this.relayCore?.onUdp(msg, from, size)) return;
    const req: Request = { from, size };
    switch (msg.type) {
      case 'register':
        return this.homes.onRegister(msg, req);
      case 'keepalive':
        return this.homes.onKeepalive(msg, req);
      case 'deregister':
        return this.homes.onDeregister(msg, req);
      case 'assist':
        return this.assists.onAssist(msg, req);
      case 'sprayDone':
        return this.assists.onSprayDone(msg, from);
      case 'refuse':
        return this.assists.onRefuse(msg, from);
      case 'addrQuery':
        return this.onAddrQuery(msg, req);
      case 'observe':
        return this.reply({ type: 'observed', tx: msg.tx, addr: from }, req);
      case 'candidates':
        return this.candidates.onCandidates(msg, from);
      case 'candidatesQuery':
        return this.candidates.onQuery(msg, from, size);
      case 'peerCandidates':
        return this.candidates.onHomeAnswer(msg, from);
      case 'mapCheck':
        return this.candidates.onMapCheck(msg, from);
      case 'hopProbe':
        // Stateless echo of the same size: lets a peer measure its hop distance to us.
        return this.reply({ type: 'hopReply', tx: msg.tx, ttl: msg.ttl }, req);
      default:
        // Figure 2, last branch: anything else is useless here.
        this.drops.count(`unexpected-${msg.type}`);
    }
  }

  private onAddrQuery(msg: MessageOf<'addrQuery'>, req: Request): void {
    this.counts.addrQueries++;
    const home = this.registry.get(msg.homeId, this.env.clock.now());
    // Cluster: the home may be held by another node; an error here would end a connect in flight.
    if (!home && this.opts.cluster) return this.drops.count('addrquery-not-local');
    if (!home)
      return this.error(msg.tx, ErrorCode.UnknownHome, `home ${msg.homeId} is not registered`, req);
    this.reply({ type: 'addrReply', tx: msg.tx, homeId: msg.homeId, home: home.addr }, req);
  }

  // --- cluster hook points (issue 12; the cluster itself is in ./cluster/) ---

  /** An assist another node received for a home held here: figure 2 runs here, answers go back. */
  handleForwarded(msg: MessageOf<'assist'>, from: SocketAddr, size: number, route: ClientRoute) {
    this.assists.onAssist(msg, { from, size, route });
  }

  /** The home registered with another node since: drop it here. */
  forgetHome(homeId: string): void {
    this.registry.delete(homeId);
  }

  /** The cluster answers a client of this node (an owner's answer, or a forwarding failure). */
  answerClient(msg: Message, to: SocketAddr, requestSize: number | undefined): void {
    const sock = socketFor(this.socks, to);
    if (requestSize === undefined) sock?.send(msg, to);
    else sock?.reply(msg, to, requestSize);
  }
}
