// The relay core (issue 10): a state machine over Env that joins a client and a registered home
// through one session. It is not an open proxy: a frame is forwarded only between the transport
// that opened a session and the registered mapping of the home that accepted THIS session; any
// other frame is dropped and counted. The relay sees only opaque (Noise) frames.
//
// It owns no socket. UDP (client and home side) goes through `sendUdp` — the rendezvous's own
// socket, so the home's keepalive mapping is the way in — and TCP/WebSocket clients come in
// through `fromClient` with their ClientTransport.
import { Retransmitter } from '../net/retransmit.js';
import type { Env, SocketAddr, TimerHandle } from '../net/types.js';
import { withDefaults } from '../options.js';
import { RateLimiter } from '../util/rate-limit.js';
import { sameAddr } from '../wire/addr.js';
import { encode, type Message, type MessageOf } from '../wire/messages.js';
import { RelayCloseCode } from '../wire/relay-messages.js';
import { closeReasonName } from './errors.js';
import { DEFAULT_RELAY_LIMITS, type RelayLimits } from './limits.js';
import { claimedKey, SessionTable, type RelaySession } from './sessions.js';
import { RelayStatsCounter, type RelayStats } from './stats.js';
import { answerWithin, udpTransport, type ClientTransport } from './transport.js';
import { redirectMessage, type RedirectTarget } from './redirect.js';
import type { BridgeEvents } from './bridge.js';
import type { RelayMetrics } from '../ops/metrics.js';

export interface RelayCoreOptions extends Partial<RelayLimits> {
  /** The home's registered mapping, or undefined when the home is not registered here. */
  lookupHome(homeId: string): SocketAddr | undefined;
  /** Sends one datagram from the relay's UDP socket (to a home, or to a UDP client). */
  sendUdp(data: Uint8Array, to: SocketAddr): void;
  /** Placement: every session is relayed by this relay node instead (answered with a redirect). */
  relayNode?: RedirectTarget;
  /** Placement: the relay holding a home not registered here (the cluster's owner node). */
  locate?(homeId: string): Promise<RedirectTarget | undefined>;
  /** The role's metrics (sessions ±1, bytes relayed each way). */
  metrics?: RelayMetrics;
  /** The home said goodbye here (issue 21 item 9): a relayOpen for it is refused at once. */
  offline?(homeId: string): boolean;
}

type HomeMessage =
  | MessageOf<'relayAccept'>
  | MessageOf<'relayRefuse'>
  | MessageOf<'relayData'>
  | MessageOf<'relayClosed'>;

export class RelayCore {
  readonly limits: RelayLimits;
  private readonly sessions = new SessionTable();
  private readonly counters: RelayStatsCounter;
  private sweepTimer: TimerHandle | undefined;
  private txSeq: number;
  private closed = false;
  private readonly perIp: RateLimiter;
  private readonly perHome: RateLimiter;
  /** Relayed payload bytes per home (docs/seams.md §8): one bucket over all its sessions. */
  private readonly homeBytes: RateLimiter;

  constructor(
    private readonly env: Env,
    private readonly opts: RelayCoreOptions,
  ) {
    this.limits = withDefaults(DEFAULT_RELAY_LIMITS, opts);
    this.counters = new RelayStatsCounter(opts.metrics);
    this.txSeq = env.rng.int(0x7fffffff);
    this.perIp = new RateLimiter(this.limits.opensPerIp);
    this.perHome = new RateLimiter(this.limits.offersPerHome);
    this.homeBytes = new RateLimiter({
      ratePerSec: this.limits.homeBytesPerSec,
      burst: this.limits.homeBurstBytes,
      maxKeys: this.limits.maxSessions,
    });
    this.scheduleSweep();
  }

  get stats(): RelayStats {
    return this.counters.snapshot(this.sessions.size);
  }

  /**
   * A datagram the relay's UDP socket received, already decoded. Returns false when it is not a
   * relay message (the rendezvous handles it). Home or client is told apart by the session: only
   * the accepting home's registered mapping speaks for the home side.
   */
  onUdp(msg: Message, from: SocketAddr, size: number): boolean {
    switch (msg.type) {
      case 'relayAccept':
      case 'relayRefuse':
        this.fromHome(msg, from);
        return true;
      case 'relayData':
      case 'relayClosed': {
        const s = this.sessions.get(msg.session);
        if (s && sameAddr(s.home, from)) this.fromHome(msg, from);
        // The session's own UDP client: no new transport (two address strings) per frame.
        else if (s?.client.kind === 'udp' && sameAddr(s.client.addr, from))
          this.fromClient(msg, s.client, size);
        else this.fromClient(msg, this.udpClient(from), size);
        return true;
      }
      case 'relayOpen':
        this.fromClient(msg, this.udpClient(from), size);
        return true;
      case 'relayOffer':
      case 'relayReady':
        this.counters.drop(`unexpected-${msg.type}`);
        return true;
      default:
        return false;
    }
  }

  /** A message from a client over any transport (`size`: the request's bytes, for replies). */
  fromClient(msg: Message, t: ClientTransport, size: number): void {
    if (this.closed) return;
    switch (msg.type) {
      case 'relayOpen':
        return this.onOpen(msg, t, size);
      case 'relayData':
      case 'relayClosed':
        return this.onClientFrame(msg, t);
      default:
        this.counters.drop(`client-sent-${msg.type}`);
    }
  }

  /** Live sessions a transport carries. */
  sessionsOf(t: ClientTransport): number {
    return this.sessions.ofTransport(t.key).length;
  }

  /** A bridge's events (relay/bridge.ts), counted with the rest. */
  readonly bridgeEvents: BridgeEvents = {
    opened: () => this.counters.bridged(1),
    closed: (reason) => this.counters.bridged(-1, reason),
    bytes: (dir, n) => this.counters.bytes(dir, n),
    drop: (reason) => this.counters.drop(reason),
    log: (fields, msg) => this.env.log.info(fields, msg),
  };

  /** A stream adapter's drop (undecodable or oversized frame), counted with the rest. */
  countDrop(reason: string): void {
    this.counters.drop(reason);
  }

  /** A stream transport went away: its sessions end (the home is told). */
  transportClosed(
    t: ClientTransport,
    code = RelayCloseCode.PeerClosed,
    text = 'the client disconnected',
  ): void {
    for (const s of this.sessions.ofTransport(t.key)) this.end(s, code, text, { client: false });
  }

  /** The home said goodbye (issue 21 item 9): its sessions end now; its clients are told. */
  forgetHome(homeId: string): void {
    for (const s of this.sessions.ofHome(homeId))
      this.end(s, RelayCloseCode.PeerClosed, 'the home went offline', { home: false });
  }

  close(): void {
    if (this.closed) return;
    this.sweepTimer?.cancel();
    for (const s of [...this.sessions.values()])
      this.end(s, RelayCloseCode.Shutdown, 'relay shutting down');
    this.closed = true;
  }

  private udpClient(from: SocketAddr): ClientTransport {
    return udpTransport(from, (d, to) => this.opts.sendUdp(d, to));
  }

  private nextTx(): number {
    this.txSeq = (this.txSeq + 1) >>> 0;
    return this.txSeq;
  }

  /** Answers to an unauthenticated request never carry more bytes than it did. */
  private answer(t: ClientTransport, msg: Message, requestSize: number): void {
    if (!answerWithin(t, msg, requestSize)) this.counters.drop('reply-larger-than-request');
  }

  private refuseOpen(
    msg: MessageOf<'relayOpen'>,
    t: ClientTransport,
    size: number,
    code: RelayCloseCode,
    text: string,
  ): void {
    this.counters.refusedOpen(closeReasonName(code));
    this.answer(t, { type: 'relayClosed', session: msg.session, code, message: text }, size);
  }

  private onOpen(msg: MessageOf<'relayOpen'>, t: ClientTransport, size: number): void {
    const existing = this.sessions.get(msg.session);
    if (existing) {
      if (existing.client.key !== t.key || existing.homeId !== msg.homeId) {
        this.counters.drop('session-clash');
        return this.refuseOpen(msg, t, size, RelayCloseCode.BadRequest, 'session id in use');
      }
      // A retransmission: the offer is still running, or answer Ready again.
      if (existing.state === 'open')
        this.answer(t, { type: 'relayReady', tx: msg.tx, session: msg.session }, size);
      return;
    }
    const home = this.opts.relayNode ? undefined : this.opts.lookupHome(msg.homeId);
    if (!home) return this.elsewhere(msg, t, size);
    const clientKey = claimedKey(msg.auth);
    const busy =
      this.capReached(msg.homeId, t.addr.ip, clientKey) ?? this.rateLimited(msg.homeId, t.addr.ip);
    if (busy) {
      this.counters.drop(`cap-${busy}`);
      return this.refuseOpen(msg, t, size, RelayCloseCode.Busy, `too many requests (${busy})`);
    }
    const now = this.env.clock.now();
    const s: RelaySession = {
      id: msg.session,
      homeId: msg.homeId,
      clientKey,
      home,
      client: t,
      openTx: msg.tx,
      openedAt: now,
      state: 'offered',
      offer: undefined,
      bytes: 0,
      lastActive: now,
    };
    const offer = encode({
      type: 'relayOffer',
      tx: this.nextTx(),
      session: s.id,
      client: t.addr,
      auth: msg.auth,
      early: msg.early,
    });
    s.offer = new Retransmitter(
      this.env.clock,
      this.limits.offerRetransmit,
      () => this.opts.sendUdp(offer, home),
      () => this.end(s, RelayCloseCode.HomeUnreachable, 'the home did not answer'),
    );
    s.bytes = msg.early.length;
    this.sessions.add(s);
    this.counters.opened(t.kind);
    this.counters.bytes('toHome', msg.early.length);
    s.offer.start();
  }

  /** Not relayed here: a redirect to the relay that is (relay node, cluster owner), or refused. */
  private elsewhere(msg: MessageOf<'relayOpen'>, t: ClientTransport, size: number): void {
    const redirect = (to: RedirectTarget): void => {
      if (t.bridge) return t.bridge(msg, to);
      this.counters.redirected();
      this.answer(t, redirectMessage(msg, to), size);
    };
    if (this.opts.offline?.(msg.homeId)) {
      this.counters.drop('home-offline');
      const text = 'the home is offline (it said goodbye)';
      return this.refuseOpen(msg, t, size, RelayCloseCode.UnknownHome, text);
    }
    const unknown = (): void => {
      this.counters.drop('unknown-home');
      this.refuseOpen(msg, t, size, RelayCloseCode.UnknownHome, 'home not registered');
    };
    if (this.opts.relayNode) return redirect(this.opts.relayNode);
    if (!this.opts.locate) return unknown();
    // A directory lookup per request: paced like new sessions.
    if (!this.perIp.take(t.addr.ip, this.env.clock.now())) {
      this.counters.drop('cap-rate-ip');
      return this.refuseOpen(msg, t, size, RelayCloseCode.Busy, 'too many requests (rate-ip)');
    }
    this.opts.locate(msg.homeId).then(
      (to) => {
        if (this.closed) return;
        if (to) redirect(to);
        else unknown();
      },
      () => {
        if (this.closed) return;
        this.refuseOpen(msg, t, size, RelayCloseCode.Busy, 'cluster unreachable; retry');
      },
    );
  }

  /**
   * Before the home accepts, a request proves nothing: it counts against its IP (pending). The
   * per-key count holds accepted sessions only, so a request claiming someone else's key cannot
   * use up that key's allowance; it is checked here (the home is spared a signature check) and
   * again at the accept.
   */
  private capReached(homeId: string, ip: string, clientKey: string): string | undefined {
    if (this.sessions.size >= this.limits.maxSessions) return 'global';
    if (this.sessions.pendingForIp(ip) >= this.limits.maxPendingPerIp) return 'pending-per-ip';
    if (this.sessions.countForHome(homeId) >= this.limits.maxSessionsPerHome) return 'per-home';
    if (this.sessions.countForKey(homeId, clientKey) >= this.limits.maxSessionsPerKey)
      return 'per-key';
    return undefined;
  }

  /** Only asked once every cap passed, so refused requests do not use up tokens. */
  private rateLimited(homeId: string, ip: string): string | undefined {
    const now = this.env.clock.now();
    if (!this.perIp.take(ip, now)) return 'rate-ip';
    if (!this.perHome.take(homeId, now)) return 'rate-home';
    return undefined;
  }

  private onClientFrame(
    msg: MessageOf<'relayData'> | MessageOf<'relayClosed'>,
    t: ClientTransport,
  ): void {
    const s = this.sessions.get(msg.session);
    if (!s) return this.counters.drop('unknown-session');
    if (s.client.key !== t.key) return this.counters.drop('spoofed-session');
    if (msg.type === 'relayClosed')
      return this.end(s, RelayCloseCode.PeerClosed, 'the client closed', { client: false });
    if (s.state !== 'open') return this.counters.drop('not-open');
    this.forward(s, msg, 'toHome');
  }

  private fromHome(msg: HomeMessage, from: SocketAddr): void {
    if (this.closed) return;
    const s = this.sessions.get(msg.session);
    if (!s) return this.counters.drop('home-unknown-session');
    if (!sameAddr(s.home, from)) return this.counters.drop('wrong-home-address');
    switch (msg.type) {
      case 'relayAccept':
        if (s.state === 'offered') {
          s.offer?.ack();
          s.offer = undefined; // the offer's bytes go with it
          if (this.sessions.countForKey(s.homeId, s.clientKey) >= this.limits.maxSessionsPerKey) {
            this.counters.drop('cap-per-key');
            return this.end(s, RelayCloseCode.Busy, 'too many requests (per-key)');
          }
          this.sessions.accept(s);
          s.lastActive = this.env.clock.now();
          this.counters.accepted();
          this.env.log.info(
            { home: s.homeId, client: s.client.label, session: s.id },
            'relayed session open',
          );
        }
        // Ready is repeated for a repeated accept: the client may have lost the first one.
        return s.client.send(encode({ type: 'relayReady', tx: s.openTx, session: s.id }));
      case 'relayRefuse':
        return this.end(s, RelayCloseCode.Refused, msg.message, { home: false });
      case 'relayClosed':
        return this.end(s, RelayCloseCode.PeerClosed, 'the home closed', { home: false });
      case 'relayData':
        if (s.state !== 'open') return this.counters.drop('not-open');
        return this.forward(s, msg, 'toClient');
    }
  }

  private forward(s: RelaySession, msg: MessageOf<'relayData'>, dir: 'toHome' | 'toClient'): void {
    const now = this.env.clock.now();
    s.lastActive = now;
    const n = msg.payload.length;
    if (n === 0) return; // a keepalive: it only refreshes the session
    const cap = this.limits.maxSessionBytes;
    if (cap > 0 && s.bytes + n > cap)
      return this.end(s, RelayCloseCode.ByteCap, `over ${cap} bytes`);
    // Over the home's budget: dropped, never answered or closed (the stream backs off).
    if (!this.homeBytes.take(s.homeId, now, n)) return this.counters.budgetDropped(n);
    s.bytes += n;
    this.counters.bytes(dir, msg.payload.length);
    const frame = encode(msg);
    if (dir === 'toHome') this.opts.sendUdp(frame, s.home);
    else s.client.send(frame);
  }

  /** Ends a session and tells both ends why (unless one of them is the one that ended it). */
  private end(
    s: RelaySession,
    code: RelayCloseCode,
    text: string,
    tell: { client?: boolean; home?: boolean } = {},
  ): void {
    if (this.sessions.get(s.id) !== s) return;
    s.offer?.cancel();
    this.sessions.delete(s);
    this.counters.closed(closeReasonName(code));
    const bye = encode({ type: 'relayClosed', session: s.id, code, message: text });
    if (tell.client !== false) s.client.send(bye);
    // The home hears only about sessions it was offered; a refusal came from it.
    if (tell.home !== false) this.opts.sendUdp(bye, s.home);
    this.env.log.info(
      { home: s.homeId, client: s.client.label, reason: closeReasonName(code), bytes: s.bytes },
      'relayed session closed',
    );
  }

  private scheduleSweep(): void {
    this.sweepTimer = this.env.clock.setTimer(this.limits.sweepMs, () => {
      const now = this.env.clock.now();
      for (const s of [...this.sessions.values()]) {
        if (now - s.openedAt >= this.limits.maxSessionMs)
          this.end(s, RelayCloseCode.DurationCap, `over ${this.limits.maxSessionMs} ms`);
        else if (s.state === 'open' && now - s.lastActive >= this.limits.idleMs)
          this.end(s, RelayCloseCode.Idle, `idle ${this.limits.idleMs} ms`);
      }
      this.scheduleSweep();
    });
  }
}
