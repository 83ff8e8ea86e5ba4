// Figure 2's assist family on the rendezvous: an assist opens a short-lived session and sends
// PeerInfo to the home (retransmitted until SprayDone); SprayDone makes the session ready and
// sends Ready to the client; a refusal from the home ends it. A retransmitted assist is answered
// again, never acted on twice.
import type { Env, SocketAddr } from '../net/types.js';
import { Retransmitter } from '../net/retransmit.js';
import type { RateLimiter } from '../util/rate-limit.js';
import { formatAddr, sameAddr } from '../wire/addr.js';
import { ErrorCode, type Message, type MessageOf, type SessionId } from '../wire/messages.js';
import type { RendezvousConfig, RendezvousOptions } from './config.js';
import type { HomeRegistry } from './registry.js';
import { chooseRound } from './round-choice.js';
import type { Request, Session } from './session.js';

/** What the desk needs from the server it runs in. */
export interface AssistIo {
  readonly env: Env;
  readonly cfg: RendezvousConfig;
  readonly opts: RendezvousOptions;
  readonly registry: HomeRegistry;
  readonly perHome: RateLimiter;
  readonly counts: { assists: number; readies: number };
  /** Answer a request (never larger than it). */
  reply(msg: Message, req: Request): void;
  error(tx: number, code: ErrorCode, message: string, req: Request): void;
  /** Originate a message (to a registered home, or to a client directly). */
  send(msg: Message, to: SocketAddr): void;
  nextTx(): number;
  drop(reason: string): void;
  /** The home said goodbye here (issue 21 item 9): answered "offline" at once. */
  offline?(homeId: string, now: number): boolean;
}

export class AssistDesk {
  readonly sessions = new Map<SessionId, Session>();

  constructor(private readonly io: AssistIo) {}

  /** Forgets expired sessions. */
  sweep(now: number): void {
    for (const [id, s] of this.sessions) {
      if (s.expiresAt <= now) {
        s.peerInfo.cancel();
        this.sessions.delete(id);
      }
    }
  }

  close(): void {
    for (const s of this.sessions.values()) s.peerInfo.cancel();
    this.sessions.clear();
  }

  onAssist(msg: MessageOf<'assist'>, req: Request): void {
    const from = req.from;
    const now = this.io.env.clock.now();
    const existing = this.sessions.get(msg.session);
    if (existing) {
      if (!sameAddr(existing.client, from) || existing.homeId !== msg.homeId) {
        this.io.drop('assist-session-clash');
        return;
      }
      // A retransmission: answer again, never spray again.
      this.io.reply({ type: 'assistAck', tx: msg.tx, session: msg.session, observed: from }, req);
      if (existing.state === 'ready') this.sendReady(existing);
      return;
    }
    const home = this.io.registry.get(msg.homeId, now);
    if (!home && this.io.offline?.(msg.homeId, now)) {
      this.io.drop('assist-home-offline');
      const text = `home ${msg.homeId} is offline (it said goodbye)`;
      return this.io.error(msg.tx, ErrorCode.HomeOffline, text, req);
    }
    if (!home) {
      if (!req.route && this.io.opts.cluster?.forwardAssist(msg, from, req.size)) return;
      this.io.drop('assist-unknown-home');
      return this.io.error(
        msg.tx,
        ErrorCode.UnknownHome,
        `home ${msg.homeId} is not registered`,
        req,
      );
    }
    if (this.sessions.size >= this.io.cfg.maxSessions) {
      this.io.drop('sessions-full');
      const text = 'too many traversals in progress; retry shortly';
      return this.io.error(msg.tx, ErrorCode.Busy, text, req);
    }
    if (!this.io.perHome.take(msg.homeId, now)) {
      this.io.drop('rate-limited-home');
      const text = 'too many requests for this home; retry shortly';
      return this.io.error(msg.tx, ErrorCode.RateLimited, text, req);
    }
    const choice = chooseRound(msg, home.nat);
    if ('relay' in choice) {
      this.io.drop('assist-needs-relay');
      return this.io.error(msg.tx, ErrorCode.NeedsRelay, choice.relay, req);
    }
    const mode = choice.mode;
    this.io.counts.assists++;
    this.io.opts.metrics?.assist('accepted');
    const tx = this.io.nextTx();
    const session: Session = {
      id: msg.session,
      homeId: msg.homeId,
      client: from,
      assistTx: msg.tx,
      home: home.addr,
      // Same public IP: client and home may share a LAN, where the LAN address is the way in.
      homeLocals: home.addr.ip === from.ip ? home.locals : [],
      expiresAt: now + this.io.cfg.sessionTtlMs,
      state: 'spraying',
      mode,
      homeNat: home.nat,
      route: req.route,
      peerInfo: new Retransmitter(
        this.io.env.clock,
        this.io.cfg.peerInfoRetransmit,
        () =>
          this.io.send(
            {
              type: 'peerInfo',
              tx,
              session: msg.session,
              client: from,
              mode,
              auth: msg.auth,
              ...(msg.nat ? { clientNat: msg.nat } : {}),
            },
            home.addr,
          ),
        () =>
          this.io.env.log.warn(
            { home: msg.homeId, session: msg.session },
            'home did not answer PeerInfo',
          ),
      ),
    };
    this.sessions.set(msg.session, session);
    this.io.reply({ type: 'assistAck', tx: msg.tx, session: msg.session, observed: from }, req);
    session.peerInfo.start();
    this.io.env.log.debug(
      { home: msg.homeId, client: formatAddr(from), session: msg.session },
      'assist',
    );
  }

  onSprayDone(msg: MessageOf<'sprayDone'>, from: SocketAddr): void {
    const session = this.sessions.get(msg.session);
    if (!session || !sameAddr(session.home, from)) {
      this.io.drop('spraydone-unknown');
      return;
    }
    this.io.send({ type: 'sprayDoneAck', tx: msg.tx, session: msg.session }, from);
    if (session.state === 'ready') return;
    session.peerInfo.ack();
    session.state = 'ready';
    this.sendReady(session);
  }

  /** The home refused this client (not paired, bad code…): tell the client, end the session. */
  onRefuse(msg: MessageOf<'refuse'>, from: SocketAddr): void {
    const session = this.sessions.get(msg.session);
    if (!session || !sameAddr(session.home, from)) {
      this.io.drop('refuse-unknown');
      return;
    }
    session.peerInfo.cancel();
    this.sessions.delete(msg.session);
    const { assistTx: tx, client } = session;
    this.toClient({ type: 'error', tx, code: msg.code, message: msg.message }, session, client);
  }

  private sendReady(s: Session): void {
    this.io.counts.readies++;
    this.io.opts.metrics?.ready();
    const { id: session, home, homeLocals: locals, mode, homeNat } = s;
    this.toClient(
      {
        type: 'ready',
        tx: this.io.nextTx(),
        session,
        home,
        locals,
        mode,
        ...(homeNat ? { homeNat } : {}),
      },
      s,
      s.client,
    );
  }

  /** Ready and refusals reach the client directly, or through the node it talks to. */
  private toClient(msg: Message, s: Session, to: SocketAddr): void {
    if (s.route) s.route.send(msg);
    else this.io.send(msg, to);
  }
}
