// The rendezvous: the patent's third-party server (its figure 2). Classifies each datagram,
// acts, drops the rest. It keeps only what it needs to route messages: registered homes and
// short-lived assist sessions (so a retransmitted request is answered, not acted on twice).
import type { Env, SocketAddr, TimerHandle } from '../net/types.js';
import { Retransmitter } from '../net/retransmit.js';
import { TxIds } from '../net/tx-ids.js';
import { DropCounter, MessageSocket } from '../net/message-socket.js';
import { withDefaults } from '../options.js';
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
import { RateLimiter } from '../util/rate-limit.js';
import { ReplayGuard } from '../secure/replay.js';
import {
  DEFAULT_RENDEZVOUS,
  type RendezvousConfig,
  type RendezvousOptions,
  type RendezvousStats,
} from './config.js';
import { MemoryRegistry, type HomeRegistry } from './registry.js';
import { RelayCore } from '../relay/server.js';

export { DEFAULT_RENDEZVOUS };
export type { RendezvousConfig, RendezvousOptions, RendezvousStats } from './config.js';

/** Who sent a request, and its size: an answer never carries more bytes (no amplification). */
interface Request {
  readonly from: SocketAddr;
  readonly size: number;
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
}

export class RendezvousServer {
  private readonly cfg: RendezvousConfig;
  private readonly registry: HomeRegistry;
  private readonly sessions = new Map<SessionId, Session>();
  private readonly drops = new DropCounter();
  private sock: MessageSocket | undefined;
  /** Relayed sessions to registered homes (issue 10), over this socket and any TCP/WS fronts. */
  private relayCore: RelayCore | undefined;
  private sweepTimer: TimerHandle | undefined;
  private counts = { registrations: 0, assists: 0, readies: 0, addrQueries: 0 };
  private readonly tx: TxIds;
  private readonly perIp: RateLimiter;
  private readonly perHome: RateLimiter;
  private readonly replay = new ReplayGuard();

  constructor(
    private readonly env: Env,
    private readonly opts: RendezvousOptions,
  ) {
    this.cfg = withDefaults(DEFAULT_RENDEZVOUS, opts);
    this.registry = opts.registry ?? new MemoryRegistry(this.cfg.maxHomes);
    this.tx = new TxIds(env.rng);
    this.perIp = new RateLimiter(this.cfg.perIpLimit);
    this.perHome = new RateLimiter(this.cfg.perHomeAssistLimit);
  }

  start(): void {
    const ep = this.env.net.open(this.opts.listen);
    this.sock = new MessageSocket(ep, this.drops, this.env.log, (m, from, size) =>
      this.handle(m, from, size),
    );
    if (this.opts.relay !== false)
      this.relayCore = new RelayCore(this.env, {
        ...this.opts.relay,
        lookupHome: (id) => this.registry.get(id, this.env.clock.now())?.addr,
        sendUdp: (d, to) => this.sock?.ep.send(d, to),
      });
    this.scheduleSweep();
  }

  get endpoint(): MessageSocket['ep'] | undefined {
    return this.sock?.ep;
  }

  /** The relay core, for its TCP/WebSocket fronts (relay/tcp-server.ts, ws-server.ts). */
  get relay(): RelayCore | undefined {
    return this.relayCore;
  }

  get stats(): RendezvousStats {
    return {
      received: this.sock?.received ?? 0,
      ...this.counts,
      homes: this.registry.size,
      sessions: this.sessions.size,
      dropped: this.drops.toJSON(),
      ...(this.relayCore ? { relay: this.relayCore.stats } : {}),
    };
  }

  close(): void {
    this.sweepTimer?.cancel();
    for (const s of this.sessions.values()) s.peerInfo.cancel();
    this.sessions.clear();
    this.relayCore?.close();
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

  /** Messages we originate (to a registered home, or Ready to a client that asked). */
  private send(msg: Message, to: SocketAddr): void {
    this.sock?.send(msg, to);
  }

  /** Answers never carry more bytes than the request did (no amplification). */
  private reply(msg: Message, req: Request): void {
    this.sock?.reply(msg, req.from, req.size);
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
    if (this.relayCore?.onUdp(msg, from, size)) return;
    const req: Request = { from, size };
    switch (msg.type) {
      case 'register':
        return this.onRegister(msg, req);
      case 'keepalive':
        return this.onKeepalive(msg, req);
      case 'assist':
        return this.onAssist(msg, req);
      case 'sprayDone':
        return this.onSprayDone(msg, from);
      case 'refuse':
        return this.onRefuse(msg, from);
      case 'addrQuery':
        return this.onAddrQuery(msg, req);
      case 'observe':
        return this.reply({ type: 'observed', tx: msg.tx, addr: from }, req);
      case 'hopProbe':
        // Stateless echo of the same size: lets a peer measure its hop distance to us.
        return this.reply({ type: 'hopReply', tx: msg.tx, ttl: msg.ttl }, req);
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
    const wall = this.env.clock.wallNow?.();
    if (wall === undefined) return 'registration refused: this rendezvous has no wall clock';
    if (!this.replay.accept(v.nonce, v.time, wall))
      return 'registration refused: stale or replayed (check the home clock)';
    return undefined;
  }

  private onRegister(msg: MessageOf<'register'>, req: Request): void {
    const from = req.from;
    const refusal = this.registrationRefusal(msg);
    if (refusal) {
      this.drops.count('register-refused');
      return this.error(msg.tx, ErrorCode.Unauthorized, refusal, req);
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
      return this.error(msg.tx, ErrorCode.Busy, 'rendezvous is full; try another node', req);
    }
    if (!prev || !sameAddr(prev.addr, from)) {
      this.counts.registrations++;
      this.env.log.info({ home: msg.homeId, addr: formatAddr(from) }, 'home registered');
    }
    this.reply(
      { type: 'registered', tx: msg.tx, observed: from, ttlMs: this.cfg.registrationTtlMs },
      req,
    );
  }

  private onKeepalive(msg: MessageOf<'keepalive'>, req: Request): void {
    const from = req.from;
    const now = this.env.clock.now();
    const rec = this.registry.get(msg.homeId, now);
    if (!rec || !sameAddr(rec.addr, from)) {
      // Unknown, expired, or the home's mapping changed: it must register again.
      this.drops.count('keepalive-unknown');
      return this.error(msg.tx, ErrorCode.UnknownHome, 'not registered; register again', req);
    }
    rec.expiresAt = now + this.cfg.registrationTtlMs;
    this.reply({ type: 'keepaliveAck', tx: msg.tx, observed: from }, req);
  }

  private onAssist(msg: MessageOf<'assist'>, req: Request): void {
    const from = req.from;
    const now = this.env.clock.now();
    const existing = this.sessions.get(msg.session);
    if (existing) {
      if (!sameAddr(existing.client, from) || existing.homeId !== msg.homeId) {
        this.drops.count('assist-session-clash');
        return;
      }
      // A retransmission: answer again, never spray again.
      this.reply({ type: 'assistAck', tx: msg.tx, session: msg.session, observed: from }, req);
      if (existing.state === 'ready') this.sendReady(existing);
      return;
    }
    const home = this.registry.get(msg.homeId, now);
    if (!home) {
      this.drops.count('assist-unknown-home');
      return this.error(msg.tx, ErrorCode.UnknownHome, `home ${msg.homeId} is not registered`, req);
    }
    if (this.sessions.size >= this.cfg.maxSessions) {
      this.drops.count('sessions-full');
      return this.error(
        msg.tx,
        ErrorCode.Busy,
        'too many traversals in progress; retry shortly',
        req,
      );
    }
    if (!this.perHome.take(msg.homeId, now)) {
      this.drops.count('rate-limited-home');
      return this.error(
        msg.tx,
        ErrorCode.RateLimited,
        'too many requests for this home; retry shortly',
        req,
      );
    }
    this.counts.assists++;
    const tx = this.tx.next();
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
    this.reply({ type: 'assistAck', tx: msg.tx, session: msg.session, observed: from }, req);
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
    this.send(
      { type: 'error', tx: session.assistTx, code: msg.code, message: msg.message },
      session.client,
    );
  }

  private sendReady(s: Session): void {
    this.counts.readies++;
    this.send(
      {
        type: 'ready',
        tx: this.tx.next(),
        session: s.id,
        home: s.home,
        locals: s.homeLocals,
        mode: s.mode,
      },
      s.client,
    );
  }

  private onAddrQuery(msg: MessageOf<'addrQuery'>, req: Request): void {
    this.counts.addrQueries++;
    const home = this.registry.get(msg.homeId, this.env.clock.now());
    if (!home)
      return this.error(msg.tx, ErrorCode.UnknownHome, `home ${msg.homeId} is not registered`, req);
    this.reply({ type: 'addrReply', tx: msg.tx, homeId: msg.homeId, home: home.addr }, req);
  }
}
