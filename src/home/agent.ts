// The home agent: the patent's "server". Registers with the rendezvous from its listening
// socket (so the rendezvous sees the NAT mapping clients must reach), keeps that mapping alive,
// answers probes, and on PeerInfo opens holes towards the client (patent step 3).
import type { BindOptions, Env, SocketAddr, TimerHandle } from '../net/types.js';
import { Retransmitter, type RetransmitOptions } from '../net/retransmit.js';
import { DropCounter, MessageSocket } from '../proto/endpoint-io.js';
import { RateLimiter } from '../secure/rate-limit.js';
import { DEFAULT_HOP_METER, HopMeter } from './hop-meter.js';
import { KnockBack } from './knock-back.js';
import { withDefaults } from '../proto/options.js';
import { DEFAULT_PORT_RANGE, pickSprayPorts, type PortRange } from '../punch/spray.js';
import { addrKey, formatAddr, sameAddr } from '../wire/addr.js';
import {
  ErrorCode,
  HOME_ID_PATTERN,
  MAX_LOCALS,
  REQUEST_PAD,
  type Message,
  type MessageOf,
  type SessionId,
} from '../wire/messages.js';

export interface HomeConfig {
  /** N: ports of the client's IP sprayed besides its observed port (patent: 500). */
  spray: number;
  /**
   * IP TTL of hole-opening packets: a number, 'auto' (one less than the measured hop distance to
   * the rendezvous, at least 2; see hop-meter.ts), or 'os' for the OS default.
   */
  sprayTtl: number | 'auto' | 'os';
  /** Spray pacing: this many datagrams, then wait sprayPaceMs. */
  sprayBatch: number;
  sprayPaceMs: number;
  /**
   * After the spray, the packet to the client's observed port is sent again at these delays
   * (full TTL). By then the client has knocked, so an address-restricted client NAT lets it in;
   * this is what makes a symmetric home reachable from a full- or restricted-cone client.
   */
  repunchDelaysMs: number[];
  /**
   * Spray N fresh ports again at full TTL once the client has knocked ('auto': twice our RTT to
   * the rendezvous plus 200 ms, 0.3-3 s; 'off': the patent's single spray). Ports the client's
   * sockets already mapped let the packets straight in, and a spray after the mappings exist
   * cannot block them, so this works whatever the hop counts and router firewalls are; it also
   * doubles the birthday draw.
   */
  respray: 'auto' | 'off' | number;
  /** Reversed rounds: sockets the home knocks from, and how long they wait for the client. */
  reverseSockets: number;
  reverseWindowMs: number;
  portRange: PortRange;
  /** Keepalive period towards the rendezvous; well inside common 30 s UDP NAT timeouts. */
  keepaliveMs: number;
  registerRetransmit: RetransmitOptions;
  /** Pause before a new registration round after one gave up entirely. */
  reregisterBackoffMs: number;
  sprayDoneRetransmit: RetransmitOptions;
  /** Sprays running at once; further PeerInfo waits for the rendezvous to retransmit. */
  maxConcurrentSprays: number;
  /** Sessions remembered so a retransmitted PeerInfo is answered without spraying again. */
  sessionMemory: number;
  /** Peers (clients that reached us) remembered at once, and their idle expiry. */
  maxPeers: number;
  peerIdleMs: number;
}

export const DEFAULT_HOME: HomeConfig = {
  spray: 500,
  sprayTtl: 'auto',
  sprayBatch: 100,
  sprayPaceMs: 1,
  repunchDelaysMs: [600, 1200],
  respray: 'auto',
  reverseSockets: 500,
  reverseWindowMs: 5000,
  portRange: DEFAULT_PORT_RANGE,
  keepaliveMs: 20_000,
  registerRetransmit: { rtoMs: 500, maxRtoMs: 4000, maxSends: 6 },
  reregisterBackoffMs: 5_000,
  sprayDoneRetransmit: { rtoMs: 300, maxRtoMs: 1200, maxSends: 5 },
  maxConcurrentSprays: 4,
  sessionMemory: 1024,
  maxPeers: 256,
  peerIdleMs: 120_000,
};

export interface HomeOptions extends Partial<HomeConfig> {
  id: string;
  rendezvous: SocketAddr;
  listen?: BindOptions;
  /** This home's LAN IPs; with the bound port they are offered to clients behind the same public IP. */
  localIps?: string[];
  /**
   * Trust (porthole home --state): signs registrations, and decides on each assist before a
   * single spray packet leaves. Without it the home is open: it sprays for anyone (lab/demo).
   */
  trust?: HomeTrust;
}

export interface HomeTrust {
  registrationAuth(homeId: string): Uint8Array;
  authorizeAssist(msg: MessageOf<'peerInfo'>): { ok: true } | { ok: false; reason: string };
}

interface SprayState {
  /** Set when the assist was refused: the reason is repeated to retransmissions. */
  refused?: string;
  done: boolean;
  sprayDone: Retransmitter | undefined;
  timers: TimerHandle[];
}

export interface HomeStats {
  registered: boolean;
  observed: string | undefined;
  sprays: number;
  hopDistance: number | undefined;
  sprayTtl: number | undefined;
  packetsSent: number;
  probesAnswered: number;
  peers: number;
  dropped: Record<string, number>;
}

export class HomeAgent {
  private readonly cfg: HomeConfig;
  private readonly drops = new DropCounter();
  private sock: MessageSocket | undefined;
  private observed: SocketAddr | undefined;
  private register: Retransmitter | undefined;
  private keepalive: Retransmitter | undefined;
  private keepaliveTimer: TimerHandle | undefined;
  private backoffTimer: TimerHandle | undefined;
  private readonly sessions = new Map<SessionId, SprayState>();
  private readonly peers = new Map<string, { addr: SocketAddr; lastSeen: number }>();
  /** Peers reached through a reversed round, and the socket each one talks to. */
  private readonly links = new Map<string, MessageSocket>();
  private readonly registeredCbs: Array<(observed: SocketAddr) => void> = [];
  private dataCb: (payload: Uint8Array, from: SocketAddr) => void = () => {};
  private txSeq: number;
  private activeSprays = 0;
  private readonly hops: HopMeter;
  private readonly refusals = new RateLimiter({ ratePerSec: 20, burst: 40, maxKeys: 1 });
  private readonly probeLimit = new RateLimiter({ ratePerSec: 200, burst: 1200, maxKeys: 4096 });
  private sprays = 0;
  private probesAnswered = 0;
  private closed = false;

  constructor(
    private readonly env: Env,
    private readonly opts: HomeOptions,
  ) {
    if (!HOME_ID_PATTERN.test(opts.id)) {
      throw new Error(`home id "${opts.id}" must be 1-64 characters of A-Z a-z 0-9 . _ -`);
    }
    this.cfg = withDefaults(DEFAULT_HOME, opts);
    this.txSeq = env.rng.int(0x7fffffff);
    this.hops = new HopMeter(env.clock, DEFAULT_HOP_METER, (m, to, ttl) =>
      this.send(m, to, undefined, ttl),
    );
  }

  get id(): string {
    return this.opts.id;
  }

  start(): void {
    const ep = this.env.net.open(this.opts.listen ?? {});
    this.sock = new MessageSocket(ep, this.drops, this.env.log, (m, from) => this.handle(m, from));
    this.startRegistration();
  }

  get endpoint(): MessageSocket['ep'] | undefined {
    return this.sock?.ep;
  }

  onRegistered(cb: (observed: SocketAddr) => void): void {
    this.registeredCbs.push(cb);
    if (this.observed) cb(this.observed);
  }

  /** Application payload from a client that reached us (plain channel; the secure one wraps it). */
  onData(cb: (payload: Uint8Array, from: SocketAddr) => void): void {
    this.dataCb = cb;
  }

  sendData(to: SocketAddr, payload: Uint8Array): void {
    // A client reached through a reversed round talks to the socket it found, not the main one.
    (this.links.get(addrKey(to)) ?? this.sock)?.send({ type: 'data', payload }, to);
  }

  get stats(): HomeStats {
    return {
      registered: this.observed !== undefined,
      observed: this.observed && formatAddr(this.observed),
      sprays: this.sprays,
      hopDistance: this.hops.distance,
      sprayTtl: this.sprayTtl(),
      packetsSent: this.sock?.sent ?? 0,
      probesAnswered: this.probesAnswered,
      peers: this.peers.size,
      dropped: this.drops.toJSON(),
    };
  }

  close(): void {
    this.closed = true;
    this.register?.cancel();
    this.keepalive?.cancel();
    this.keepaliveTimer?.cancel();
    this.backoffTimer?.cancel();
    this.hops.cancel();
    for (const l of this.links.values()) l.close();
    for (const s of this.sessions.values()) {
      s.sprayDone?.cancel();
      s.timers.forEach((t) => t.cancel());
    }
    this.sock?.close();
  }

  private nextTx(): number {
    this.txSeq = (this.txSeq + 1) >>> 0;
    return this.txSeq;
  }

  private send(msg: Message, to: SocketAddr, padTo?: number, ttl?: number): void {
    this.sock?.send(msg, to, { ttl, padTo });
  }

  // --- registration and keepalive -------------------------------------------------------------

  private startRegistration(): void {
    if (this.closed) return;
    this.keepaliveTimer?.cancel();
    this.keepalive?.cancel();
    this.register?.cancel();
    const tx = this.nextTx();
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
        this.backoffTimer = this.env.clock.setTimer(this.cfg.reregisterBackoffMs, () =>
          this.startRegistration(),
        );
      },
    );
    this.registerTx = tx;
    this.register.start();
  }

  private locals(): SocketAddr[] {
    const port = this.sock?.ep.localAddress()?.port;
    if (!port || !this.opts.localIps) return [];
    return this.opts.localIps.slice(0, MAX_LOCALS).map((ip) => ({ ip, port }));
  }

  private registerTx = -1;
  private registerSentAt = 0;
  /** Round trip to the rendezvous, from the last registration (times the re-spray). */
  private rvRttMs: number | undefined;
  private keepaliveTx = -1;

  private onRegisteredMsg(msg: MessageOf<'registered'>): void {
    if (msg.tx !== this.registerTx || !this.register?.active) return;
    this.register.ack();
    this.rvRttMs = this.env.clock.now() - this.registerSentAt;
    const changed = !this.observed || !sameAddr(this.observed, msg.observed);
    this.observed = msg.observed;
    if (changed) {
      this.env.log.info({ observed: formatAddr(msg.observed) }, 'registered with rendezvous');
      for (const cb of this.registeredCbs) cb(msg.observed);
      if (this.cfg.sprayTtl === 'auto') {
        this.hops.measure(this.opts.rendezvous, this.nextTx(), (d) =>
          this.env.log.info(
            { hopDistance: d, sprayTtl: this.sprayTtl() },
            'measured hops to the rendezvous',
          ),
        );
      }
    }
    // Keep well inside both the NAT timeout and the registration lifetime.
    const period = Math.min(this.cfg.keepaliveMs, Math.max(1000, msg.ttlMs / 3));
    this.scheduleKeepalive(period);
  }

  private scheduleKeepalive(period: number): void {
    this.keepaliveTimer = this.env.clock.setTimer(period, () => {
      const tx = this.nextTx();
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
          this.startRegistration();
        },
      ).start();
      this.scheduleKeepalive(period);
    });
  }

  private onKeepaliveAck(msg: MessageOf<'keepaliveAck'>): void {
    if (msg.tx !== this.keepaliveTx) return;
    this.keepalive?.ack();
    if (this.observed && !sameAddr(this.observed, msg.observed)) {
      this.env.log.info({ observed: formatAddr(msg.observed) }, 'NAT mapping changed');
      this.observed = msg.observed;
      for (const cb of this.registeredCbs) cb(msg.observed);
    }
  }

  // --- dispatch -------------------------------------------------------------------------------

  private handle(msg: Message, from: SocketAddr): void {
    const fromRendezvous = sameAddr(from, this.opts.rendezvous);
    switch (msg.type) {
      case 'registered':
        if (fromRendezvous) return this.onRegisteredMsg(msg);
        break;
      case 'keepaliveAck':
        if (fromRendezvous) return this.onKeepaliveAck(msg);
        break;
      case 'peerInfo':
        if (fromRendezvous) return this.onPeerInfo(msg);
        break;
      case 'hopReply':
        if (fromRendezvous) return this.hops.onReply(msg);
        break;
      case 'sprayDoneAck':
        if (fromRendezvous) return this.sessions.get(msg.session)?.sprayDone?.ack();
        break;
      case 'error':
        if (fromRendezvous) return this.onError(msg);
        break;
      case 'probe':
        return this.onProbe(msg, from);
      case 'data':
        if (this.touchPeer(from, false)) return this.dataCb(msg.payload, from);
        this.drops.count('data-from-stranger');
        return;
      default:
        break;
    }
    this.drops.count(`unexpected-${msg.type}`);
  }

  private onError(msg: MessageOf<'error'>): void {
    if (
      msg.code === ErrorCode.UnknownHome &&
      (msg.tx === this.keepaliveTx || msg.tx === this.registerTx)
    ) {
      this.env.log.info({}, 'rendezvous forgot us; registering again');
      this.startRegistration();
      return;
    }
    if (msg.code === ErrorCode.Unauthorized && msg.tx === this.registerTx) {
      // Retrying at once would only be refused again; the backoff round will try later.
      this.register?.cancel();
      this.env.log.error({ message: msg.message }, 'the rendezvous refused our registration');
      this.backoffTimer = this.env.clock.setTimer(this.cfg.reregisterBackoffMs, () =>
        this.startRegistration(),
      );
      return;
    }
    this.env.log.warn({ code: ErrorCode[msg.code], message: msg.message }, 'rendezvous error');
  }

  private onProbe(msg: MessageOf<'probe'>, from: SocketAddr): void {
    if (msg.homeId !== this.opts.id) {
      this.drops.count('probe-wrong-home');
      return;
    }
    // A client knocks from up to ~500 sockets of one IP at once; more than that is abuse.
    if (!this.probeLimit.take(from.ip, this.env.clock.now()))
      return this.drops.count('probe-rate-limited');
    this.probesAnswered++;
    this.touchPeer(from, true);
    this.send({ type: 'probeReply', tx: msg.tx, session: msg.session }, from);
    this.settled(msg.session);
  }

  /**
   * The client reached us in this session: the follow-up packets (observed-port re-sends and
   * the full-TTL re-spray) would only leave stray NAT state behind, so they are cancelled.
   */
  private settled(session: SessionId): void {
    const state = this.sessions.get(session);
    if (!state?.done) return; // still spraying: its own pacing must finish
    state.timers.forEach((t) => t.cancel());
    state.timers = [];
  }

  /** Remember a peer that proved reachability with a probe; returns whether it is known. */
  private touchPeer(addr: SocketAddr, create: boolean): boolean {
    const now = this.env.clock.now();
    const key = addrKey(addr);
    const peer = this.peers.get(key);
    if (peer && now - peer.lastSeen <= this.cfg.peerIdleMs) {
      peer.lastSeen = now;
      return true;
    }
    if (!create) return false;
    if (this.peers.size >= this.cfg.maxPeers) {
      // Evict the least recently seen peer (Map keeps insertion order; re-insert on touch).
      const oldest = this.peers.keys().next().value;
      if (oldest !== undefined) {
        this.peers.delete(oldest);
        this.links.get(oldest)?.close();
        this.links.delete(oldest);
      }
    }
    this.peers.delete(key);
    this.peers.set(key, { addr, lastSeen: now });
    return true;
  }

  // --- the spray (patent step 3) ----------------------------------------------------------------

  private onPeerInfo(msg: MessageOf<'peerInfo'>): void {
    const known = this.sessions.get(msg.session);
    if (known?.refused !== undefined) return this.refuse(msg, known.refused);
    if (known) {
      // Retransmitted PeerInfo: our SprayDone was lost, or we are still spraying. Never spray twice.
      if (known.done && !known.sprayDone?.active) this.sendSprayDone(msg.session, known);
      return;
    }
    if (this.activeSprays >= this.cfg.maxConcurrentSprays) {
      this.drops.count('spray-busy');
      return;
    }
    const verdict = this.opts.trust?.authorizeAssist(msg) ?? { ok: true };
    if (!verdict.ok) {
      // Not a single spray packet for a client we cannot vouch for.
      this.drops.count('assist-refused');
      this.env.log.warn(
        { client: formatAddr(msg.client), reason: verdict.reason },
        'assist refused',
      );
      this.rememberSession(msg.session, {
        refused: verdict.reason,
        done: true,
        sprayDone: undefined,
        timers: [],
      });
      return this.refuse(msg, verdict.reason);
    }
    this.sprays++;
    this.activeSprays++;
    const state: SprayState = { done: false, sprayDone: undefined, timers: [] };
    this.rememberSession(msg.session, state);
    if (msg.mode === 'reverse') return this.knockBack(msg, state);
    const client = msg.client;
    const punch: Message = { type: 'punch', session: msg.session };
    const ports = pickSprayPorts(this.env.rng, this.cfg.spray, this.cfg.portRange, client.port);
    const ttl = this.sprayTtl();
    this.env.log.debug({ client: formatAddr(client), packets: ports.length + 1, ttl }, 'spraying');
    this.sprayTo(punch, client, [client.port, ...ports], ttl, state, () => {
      state.done = true;
      this.activeSprays--;
      this.sendSprayDone(msg.session, state, ports.length + 1);
      for (const ms of this.cfg.repunchDelaysMs)
        state.timers.push(this.env.clock.setTimer(ms, () => this.send(punch, client)));
      const delay = this.resprayDelay();
      if (delay === undefined) return;
      state.timers.push(
        this.env.clock.setTimer(delay, () => {
          const fresh = pickSprayPorts(
            this.env.rng,
            this.cfg.spray,
            this.cfg.portRange,
            client.port,
          );
          this.sprayTo(punch, client, fresh, undefined, state, () => {});
        }),
      );
    });
  }

  /** Sends `punch` to each port of the client's IP, paced in batches. */
  private sprayTo(
    punch: Message,
    client: SocketAddr,
    ports: number[],
    ttl: number | undefined,
    state: SprayState,
    done: () => void,
  ): void {
    let i = 0;
    const batch = (): void => {
      if (this.closed) return;
      const end = Math.min(ports.length, i + this.cfg.sprayBatch);
      for (; i < end; i++)
        this.send(punch, { ip: client.ip, port: ports[i] as number }, undefined, ttl);
      if (i < ports.length) state.timers.push(this.env.clock.setTimer(this.cfg.sprayPaceMs, batch));
      else done();
    };
    batch();
  }

  private resprayDelay(): number | undefined {
    const r = this.cfg.respray;
    if (r === 'off') return undefined;
    if (r !== 'auto') return r;
    return Math.min(3000, Math.max(300, 2 * (this.rvRttMs ?? 250) + 200));
  }

  /** Reversed round: knock towards the client from many sockets (see knock-back.ts). */
  private knockBack(msg: MessageOf<'peerInfo'>, state: SprayState): void {
    const kb = new KnockBack(
      this.env,
      this.drops,
      msg.session,
      msg.client,
      {
        sockets: this.cfg.reverseSockets,
        batch: this.cfg.sprayBatch,
        paceMs: this.cfg.sprayPaceMs,
        ttl: this.sprayTtl(),
        windowMs: this.cfg.reverseWindowMs,
        bindIp: this.opts.listen?.ip,
      },
      (sock, m, from) => this.onLinkMessage(kb, sock, m, from),
    );
    this.env.log.debug(
      { client: formatAddr(msg.client), sockets: this.cfg.reverseSockets },
      'knocking back',
    );
    kb.start((n) => {
      state.done = true;
      this.activeSprays--;
      this.sendSprayDone(msg.session, state, n);
    });
  }

  /** Datagrams on a knock-back socket: the client's probe makes it the link to that client. */
  private onLinkMessage(kb: KnockBack, sock: MessageSocket, msg: Message, from: SocketAddr): void {
    const key = addrKey(from);
    if (msg.type === 'probe' && msg.homeId === this.opts.id) {
      if (!this.probeLimit.take(from.ip, this.env.clock.now()))
        return this.drops.count('probe-rate-limited');
      this.probesAnswered++;
      sock.send({ type: 'probeReply', tx: msg.tx, session: msg.session }, from);
      if (this.links.get(key) !== sock) {
        this.links.get(key)?.close();
        this.links.set(key, sock);
        kb.keep(sock);
        kb.closeRest();
      }
      this.touchPeer(from, true);
      return;
    }
    if (msg.type === 'data' && this.links.get(key) === sock && this.touchPeer(from, false)) {
      return this.dataCb(msg.payload, from);
    }
    this.drops.count(`link-unexpected-${msg.type}`);
  }

  private refuse(msg: MessageOf<'peerInfo'>, reason: string): void {
    // Bounded: a flood of forged PeerInfo must not turn into a flood of refusals.
    if (!this.refusals.take('all', this.env.clock.now()))
      return this.drops.count('refusal-rate-limited');
    this.send(
      {
        type: 'refuse',
        tx: this.nextTx(),
        session: msg.session,
        code: ErrorCode.Unauthorized,
        message: reason,
      },
      this.opts.rendezvous,
    );
  }

  private sprayTtl(): number | undefined {
    const t = this.cfg.sprayTtl;
    return t === 'os' ? undefined : t === 'auto' ? this.hops.holeTtl() : t;
  }

  private sendSprayDone(session: SessionId, state: SprayState, sprayed = this.cfg.spray + 1): void {
    const tx = this.nextTx();
    state.sprayDone = new Retransmitter(
      this.env.clock,
      this.cfg.sprayDoneRetransmit,
      () =>
        this.send(
          { type: 'sprayDone', tx, session, sprayed: Math.min(sprayed, 0xffff) },
          this.opts.rendezvous,
        ),
      () => this.env.log.warn({ session }, 'SprayDone never acknowledged'),
    ).start();
  }

  private rememberSession(id: SessionId, state: SprayState): void {
    if (this.sessions.size >= this.cfg.sessionMemory) {
      for (const [old, s] of this.sessions) {
        if (!s.done) continue;
        s.sprayDone?.cancel();
        this.sessions.delete(old);
        break;
      }
    }
    this.sessions.set(id, state);
  }
}
