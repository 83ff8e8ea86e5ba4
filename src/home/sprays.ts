// The home's assisted sessions (patent step 3): on PeerInfo, decide (trust), then open holes
// towards the client — the patent round's spray of 1 + N ports, or the reversed round's
// knock-back from many sockets — report SprayDone, and follow up until the client reaches us.
// Every session owns its timers, pacing and sockets, so close() reaches all of them.
import type { Env, SocketAddr, TimerHandle } from '../net/types.js';
import { pace, type Paced } from '../net/pacer.js';
import { Retransmitter } from '../net/retransmit.js';
import type { TxIds } from '../net/tx-ids.js';
import type { DropCounter, MessageSocket } from '../net/message-socket.js';
import { RateLimiter } from '../util/rate-limit.js';
import { pickSprayPorts } from '../punch/spray.js';
import { formatAddr } from '../wire/addr.js';
import { ErrorCode, type Message, type MessageOf, type SessionId } from '../wire/messages.js';
import type { HomeConfig, HomeOptions } from './config.js';
import { KnockBack } from '../punch/knock-back.js';
import type { HomeSend } from './registration.js';
import { natFromWire, type NatClass } from '../discovery/nat-class.js';
import { DEFAULT_KNOCK, knockTowards } from '../punch/knock.js';
import { sprayPortsFor } from '../punch/predict.js';
import { roundShape } from '../punch/strategy.js';

interface SpraySession {
  /** Set when the assist was refused: the reason is repeated to retransmissions. */
  refused?: string;
  /** The holes are open (spray paced out, or every knock-back socket sent its packet). */
  done: boolean;
  /** Hole-opening packets sent (patent round: 1 + N; reversed round: one per socket). */
  sprayed: number;
  /** The client reached us: no follow-ups are scheduled any more. */
  settled?: boolean;
  sprayDone: Retransmitter | undefined;
  /** Follow-ups: observed-port re-sends and the re-spray. */
  timers: TimerHandle[];
  pacing?: Paced;
  knockBack?: KnockBack;
}

/** What the sessions need from the agent around them. */
export interface SprayHost {
  send: HomeSend;
  holeTtl(): number | undefined;
  /** The home's own NAT class (the ladder's input, with the client's from PeerInfo). */
  nat(): NatClass;
  rvRttMs(): number | undefined;
  /** The rendezvous node we are registered with now (cluster failover may change it). */
  rendezvous(): SocketAddr;
  /** A datagram on a knock-back socket. */
  onLinkMessage(kb: KnockBack, sock: MessageSocket, msg: Message, from: SocketAddr): void;
}

export class Sprays {
  private readonly sessions = new Map<SessionId, SpraySession>();
  private readonly refusals = new RateLimiter({ ratePerSec: 20, burst: 40, maxKeys: 1 });
  private active = 0;
  private closed = false;
  count = 0;

  constructor(
    private readonly env: Env,
    private readonly opts: HomeOptions,
    private readonly cfg: HomeConfig,
    private readonly drops: DropCounter,
    private readonly tx: TxIds,
    private readonly host: SprayHost,
  ) {}

  close(): void {
    this.closed = true;
    for (const s of this.sessions.values()) this.stop(s);
  }

  private stop(s: SpraySession): void {
    s.sprayDone?.cancel();
    s.pacing?.cancel();
    s.knockBack?.close();
    s.timers.forEach((t) => t.cancel());
    s.timers = [];
  }

  onSprayDoneAck(msg: MessageOf<'sprayDoneAck'>): void {
    this.sessions.get(msg.session)?.sprayDone?.ack();
  }

  /**
   * The client reached us in this session: the follow-up packets (observed-port re-sends and
   * the full-TTL re-spray) would only leave stray NAT state behind, so they are cancelled.
   */
  settle(session: SessionId): void {
    const state = this.sessions.get(session);
    if (!state) return;
    // Still spraying: the pacing finishes (it is the patent's step 3), the follow-ups never start.
    if (!state.settled) this.opts.metrics?.punch(strategyOf(state), 'punched', true);
    state.settled = true;
    state.timers.forEach((t) => t.cancel());
    state.timers = [];
  }

  onPeerInfo(msg: MessageOf<'peerInfo'>): void {
    const known = this.sessions.get(msg.session);
    if (known?.refused !== undefined) return this.refuse(msg, known.refused);
    if (known) {
      // Retransmitted PeerInfo: our SprayDone was lost, or we are still spraying. Never spray twice.
      if (known.done && !known.sprayDone?.active) this.sendSprayDone(msg.session, known);
      return;
    }
    if (this.active >= this.cfg.maxConcurrentSprays) {
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
      this.remember(msg.session, {
        refused: verdict.reason,
        done: true,
        sprayed: 0,
        sprayDone: undefined,
        timers: [],
      });
      return this.refuse(msg, verdict.reason);
    }
    this.count++;
    this.opts.metrics?.spray();
    this.active++;
    const state: SpraySession = { done: false, sprayed: 0, sprayDone: undefined, timers: [] };
    this.remember(msg.session, state);
    // The method was chosen by the ladder (punch/strategy.ts) and arrives as the round's mode.
    const clientNat = natFromWire(msg.clientNat);
    const shape = roundShape(msg.mode, this.host.nat(), clientNat);
    if (shape.kind === 'knock') this.knock(msg, state);
    else if (shape.kind === 'client-sprays') this.knockBack(msg, state);
    else this.spray(msg, state, shape.predict ? clientNat : undefined);
  }

  /** Both cone: a few TTL-limited packets to the client's observed address (punch/knock.ts). */
  private knock(msg: MessageOf<'peerInfo'>, state: SpraySession): void {
    const punch: Message = { type: 'punch', session: msg.session };
    const ttl = this.host.holeTtl();
    state.pacing = knockTowards(
      this.env.clock,
      (to) => this.host.send(punch, to, undefined, ttl),
      msg.client,
      DEFAULT_KNOCK,
      () => !this.closed,
      (n) => {
        this.opened(msg.session, state, n);
        // A per-destination home gets in only by a packet sent after the client knocked (about
        // one round trip after SprayDone): full-TTL re-sends then, before the usual ones. Not
        // sooner: one that reaches the client's router before the client's knock left makes a
        // router without a firewall bind that port pair to the stranger, and the knock then maps
        // to another port (lab, port × port, firewall off: 2.7 s over two rounds → one knock).
        // On a sub-millisecond path the client's own wake-up dominates: at least 20 ms.
        const rtt = Math.max(this.host.rvRttMs() ?? 100, 20);
        this.followUp(punch, msg.client, state, false, [2 * rtt, 4 * rtt, 8 * rtt]);
      },
    );
  }

  /**
   * Patent round: the observed port and N random ports of the client's IP, TTL-limited. With
   * `predict` (a sequential client NAT) its next ports go first (punch/predict.ts).
   */
  private spray(msg: MessageOf<'peerInfo'>, state: SpraySession, predict?: NatClass): void {
    const client = msg.client;
    const punch: Message = { type: 'punch', session: msg.session };
    const { spray, portRange } = this.cfg;
    const delta = predict ? (predict.delta ?? 1) : undefined;
    const ports = sprayPortsFor(this.env.rng, spray, portRange, client.port, delta);
    const ttl = this.host.holeTtl();
    this.env.log.debug({ client: formatAddr(client), packets: ports.length + 1, ttl }, 'spraying');
    this.sprayPorts(punch, client, [client.port, ...ports], ttl, state, () => {
      this.opened(msg.session, state, ports.length + 1);
      this.followUp(punch, client, state, true);
    });
  }

  /** After the holes: full-TTL re-sends to the observed port, and (spray rounds) the re-spray. */
  private followUp(
    punch: Message,
    client: SocketAddr,
    state: SpraySession,
    respray: boolean,
    early: readonly number[] = [],
  ): void {
    if (state.settled) return;
    for (const ms of [...early, ...this.cfg.repunchDelaysMs])
      state.timers.push(this.env.clock.setTimer(ms, () => this.host.send(punch, client)));
    if (!respray) return;
    const delay = this.resprayDelay();
    if (delay === undefined) return;
    state.timers.push(
      this.env.clock.setTimer(delay, () => {
        const fresh = pickSprayPorts(this.env.rng, this.cfg.spray, this.cfg.portRange, client.port);
        this.sprayPorts(punch, client, fresh, undefined, state, () => {});
      }),
    );
  }

  /** The holes are open: report SprayDone (the rendezvous then sends Ready to the client). */
  private opened(session: SessionId, state: SpraySession, sprayed: number): void {
    state.done = true;
    state.sprayed = sprayed;
    this.active--;
    this.sendSprayDone(session, state);
  }

  /** Sends `punch` to each port of the client's IP, paced in batches. */
  private sprayPorts(
    punch: Message,
    client: SocketAddr,
    ports: number[],
    ttl: number | undefined,
    state: SpraySession,
    done: () => void,
  ): void {
    state.pacing = pace(
      this.env.clock,
      { batch: this.cfg.sprayBatch, paceMs: this.cfg.sprayPaceMs },
      ports.length,
      (i) => this.host.send(punch, { ip: client.ip, port: ports[i] as number }, undefined, ttl),
      () => !this.closed,
      done,
    );
  }

  private resprayDelay(): number | undefined {
    const r = this.cfg.respray;
    if (r === 'off') return undefined;
    if (r !== 'auto') return r;
    return Math.min(3000, Math.max(300, 2 * (this.host.rvRttMs() ?? 250) + 200));
  }

  /** Reversed round: knock towards the client from many sockets (see knock-back.ts). */
  private knockBack(msg: MessageOf<'peerInfo'>, state: SpraySession): void {
    const kb: KnockBack = new KnockBack(
      this.env,
      this.drops,
      msg.session,
      msg.client,
      {
        sockets: this.cfg.reverseSockets,
        batch: this.cfg.sprayBatch,
        paceMs: this.cfg.sprayPaceMs,
        ttl: this.host.holeTtl(),
        windowMs: this.cfg.reverseWindowMs,
        bindIp: this.opts.listen?.ip,
      },
      (sock, m, from) => this.host.onLinkMessage(kb, sock, m, from),
    );
    state.knockBack = kb;
    this.env.log.debug(
      { client: formatAddr(msg.client), sockets: this.cfg.reverseSockets },
      'knocking back',
    );
    kb.start((n) => this.opened(msg.session, state, n));
  }

  private refuse(msg: MessageOf<'peerInfo'>, reason: string): void {
    // Bounded: a flood of forged PeerInfo must not turn into a flood of refusals.
    if (!this.refusals.take('all', this.env.clock.now()))
      return this.drops.count('refusal-rate-limited');
    this.host.send(
      {
        type: 'refuse',
        tx: this.tx.next(),
        session: msg.session,
        code: ErrorCode.Unauthorized,
        message: reason,
      },
      this.host.rendezvous(),
    );
  }

  private sendSprayDone(session: SessionId, state: SpraySession): void {
    const tx = this.tx.next();
    const sprayed = Math.min(state.sprayed, 0xffff);
    state.sprayDone = new Retransmitter(
      this.env.clock,
      this.cfg.sprayDoneRetransmit,
      () => this.host.send({ type: 'sprayDone', tx, session, sprayed }, this.host.rendezvous()),
      () => this.env.log.warn({ session }, 'SprayDone never acknowledged'),
    ).start();
  }

  private remember(id: SessionId, state: SpraySession): void {
    if (this.sessions.size >= this.cfg.sessionMemory) {
      for (const [old, s] of this.sessions) {
        if (!s.done) continue;
        // Forgotten without the client ever reaching us: that traversal failed.
        if (!s.settled && s.refused === undefined)
          this.opts.metrics?.punch(strategyOf(s), 'none', false);
        this.stop(s);
        this.sessions.delete(old);
        break;
      }
    }
    this.sessions.set(id, state);
  }
}

function strategyOf(s: SpraySession): 'patent' | 'reverse' {
  return s.knockBack ? 'reverse' : 'patent';
}
