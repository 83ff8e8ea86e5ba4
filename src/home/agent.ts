// The home agent: the patent's "server". Owns the listening socket and routes each datagram to
// the part that handles it: the registration with the rendezvous (registration.ts), the assisted
// sessions that open holes towards clients (sprays.ts), and the clients that reached us (peers.ts).
import type { Env, SocketAddr, UdpEndpoint } from '../net/types.js';
import { type DropCounter, MessageSocket } from '../net/message-socket.js';
import { dropCounter } from '../ops/drops.js';
import { TxIds } from '../net/tx-ids.js';
import { withDefaults } from '../options.js';
import { formatAddr, sameAddr } from '../wire/addr.js';
import {
  ErrorCode,
  HOME_ID_PATTERN,
  REQUEST_PAD,
  type Message,
  type MessageOf,
} from '../wire/messages.js';
import { Retransmitter } from '../net/retransmit.js';
import type { ServerRole } from '../secure/auth.js';
import {
  DEFAULT_HOME,
  type HomeConfig,
  type HomeOptions,
  type HomeStats,
  type HomeTrust,
} from './config.js';
import type { KnockBack } from '../punch/knock-back.js';
import type { NatClass } from '../discovery/nat-class.js';
import { Peers } from './peers.js';
import { homeRelay, type RelayedPathHandler } from './relayed.js';
import type { HomeRelay } from '../relay/home-relay.js';
import { Registration } from './registration.js';
import { HomeRelayNode, type MakeRegistration } from './relay-node.js';
import { RendezvousRotation } from './rotation.js';
import { Sprays } from './sprays.js';
import { HomeCandidates } from './candidates.js';
import { NatClassCache } from '../discovery/discover.js';

/** How long the home trusts its NAT class before classifying again. */
const NAT_MAX_AGE_MS = 10 * 60_000;

export { DEFAULT_HOME };
export type { HomeConfig, HomeOptions, HomeStats, HomeTrust } from './config.js';

/** A trust without the candidates check (older) refuses: a secure home's addresses stay private. */
const trustsCandidates = (trust: HomeTrust, m: MessageOf<'candidatesQuery'>) =>
  trust.authorizeCandidates?.(m) ?? { ok: false as const, reason: 'no candidates check' };

export type DataHandler = (payload: Uint8Array, from: SocketAddr) => void;
/**
 * Data from an address that is not a peer's: the old address of the session it authenticated
 * on (the peer moved; peerMoved was called), 'stayed' (authentic, but the session moved too
 * recently), or undefined (not a live session's: dropped).
 */
export type RoamResult = SocketAddr | 'stayed' | undefined;
export type RoamHandler = (payload: Uint8Array, from: SocketAddr) => RoamResult;

export class HomeAgent {
  private readonly cfg: HomeConfig;
  private readonly drops: DropCounter;
  private readonly tx: TxIds;
  private readonly registration: Registration;
  private readonly sprays: Sprays;
  private readonly peers: Peers;
  /** Sessions the rendezvous relays to us over our keepalive mapping (issue 10). */
  readonly relay: HomeRelay;
  /** A standalone relay node the rendezvous named: registered with too, its offers accepted. */
  private readonly relayNode: HomeRelayNode;
  private relayedCb: RelayedPathHandler = (path) => path.close();
  private sock: MessageSocket | undefined;
  private dataCb: DataHandler = () => {};
  private roamCb: RoamHandler = () => undefined;
  private readonly candidates: HomeCandidates;
  /** Settles once close() has deleted the router mapping (bounded). */
  whenClosed: Promise<void> = Promise.resolve();
  private nat: NatClassCache | undefined;

  constructor(
    private readonly env: Env,
    private readonly opts: HomeOptions,
  ) {
    if (!HOME_ID_PATTERN.test(opts.id)) {
      throw new Error(`home id "${opts.id}" must be 1-64 characters of A-Z a-z 0-9 . _ -`);
    }
    this.cfg = withDefaults(DEFAULT_HOME, opts);
    this.drops = dropCounter(opts.metrics);
    this.tx = new TxIds(env.rng);
    const send = (msg: Message, to: SocketAddr, padTo?: number, ttl?: number): void =>
      this.sock?.send(msg, to, { ttl, padTo });
    const register: MakeRegistration = (o, cfg, rv, peer) =>
      new Registration(
        env,
        o,
        cfg,
        this.tx,
        send,
        () => this.sock?.ep.localAddress()?.port,
        rv,
        peer,
      );
    this.registration = register(
      opts,
      this.cfg,
      new RendezvousRotation([opts.rendezvous, ...(opts.rendezvousNodes ?? [])]),
      'rendezvous',
    );
    this.relayNode = new HomeRelayNode(env, opts, this.cfg, register);
    this.relay = homeRelay(
      opts,
      send,
      (from) => sameAddr(from, this.registration.rendezvous) || this.relayNode.isFrom(from),
      (path, client) => this.relayedCb(path, client),
    );
    this.peers = new Peers(env, this.cfg, opts.id, this.drops);
    this.sprays = new Sprays(env, opts, this.cfg, this.drops, this.tx, {
      send,
      holeTtl: () => this.registration.holeTtl(),
      nat: () => this.registration.nat(),
      rvRttMs: () => this.registration.rvRttMs,
      rendezvous: () => this.registration.rendezvous,
      onLinkMessage: (kb, sock, m, from) => this.onLinkMessage(kb, sock, m, from),
    });
    this.candidates = new HomeCandidates(
      env,
      opts.candidates ?? {},
      {
        id: opts.id,
        rendezvous: () => this.registration.rendezvous,
        tx: this.tx,
        send,
        port: () => this.sock?.ep.localAddress()?.port,
        observedIp: () => this.registration.observed?.ip,
        onV6Message: (sock, m, from) => this.onV6Message(sock, m, from),
        changed: () => this.changed(),
        ...(opts.trust ? { authorize: (m) => trustsCandidates(opts.trust!, m) } : {}),
      },
      this.drops,
    );
    this.registration.onRegistered(() => {
      this.candidates.onRegistered();
      this.changed();
    });
    opts.metrics?.observePortmap?.(() => this.candidates.status.portmap);
  }

  private readonly changeCbs: Array<() => void> = [];
  private changed(): void {
    for (const cb of this.changeCbs) cb();
  }

  /** The WebRTC answerer's state (home/webrtc.ts) for `home status`; "" until runHome sets it. */
  private webrtcState = '';
  get webrtc(): string {
    return this.webrtcState;
  }
  set webrtc(s: string) {
    this.webrtcState = s;
    this.changed();
  }

  /** What `stats` shows changed (registration, NAT class, port mapping, IPv6): `home status`. */
  onChange(cb: () => void): void {
    this.changeCbs.push(cb);
  }

  /** What the rendezvous said of itself (serverInfo, issue 21 item 1): appUrl for `home pair`. */
  private info: { tcpPort: number; wsUrl: string; appUrl: string } | undefined;

  get serverInfo(): { tcpPort: number; wsUrl: string; appUrl: string } | undefined {
    return this.info;
  }

  get id(): string {
    return this.opts.id;
  }

  start(): void {
    const ep = this.env.net.open(this.opts.listen ?? {});
    this.sock = new MessageSocket(ep, this.drops, this.env.log, (m, from) => this.handle(m, from));
    if (this.opts.discovery) this.startDiscovery();
    this.registration.start();
  }

  /** Issue 9: the class (and NAT depth) rides on the next registration; a change re-registers. */
  private startDiscovery(): void {
    const ip = this.opts.listen?.ip;
    const nat = new NatClassCache(
      this.env,
      this.opts.rendezvous,
      NAT_MAX_AGE_MS,
      { depth: true, ...(ip ? { bindIp: ip } : {}) },
      (c) => {
        this.env.log.info({ nat: c }, 'home NAT classified');
        this.registration.start();
        this.changed();
      },
    );
    this.nat = nat;
    this.registration.nat = () => nat.current;
    nat.refresh();
    this.registration.onRegistered((observed) => nat.refresh(observed));
  }

  /** What discovery learned about the home's NAT (unknown until it finished). */
  get natClass(): NatClass {
    return this.registration.nat();
  }

  get endpoint(): MessageSocket['ep'] | undefined {
    return this.sock?.ep;
  }

  /** On every (re-)registration that changed our observed address or the node (`via`). */
  onRegistered(cb: (observed: SocketAddr, via: SocketAddr) => void): void {
    this.registration.onRegistered(cb);
  }

  /** The rendezvous node we talk to now (cluster failover moves it). */
  get rendezvous(): SocketAddr {
    return this.registration.rendezvous;
  }

  /** Application payload from a client that reached us (plain channel; the secure one wraps it). */
  onData(cb: DataHandler): void {
    this.dataCb = cb;
  }

  /** Roaming (net/roam.ts): who authenticates data from an address that is not a peer's. */
  onRoam(cb: RoamHandler): void {
    this.roamCb = cb;
  }

  now(): number {
    return this.env.clock.now();
  }

  /** A channel moved from `old` to `to` (roaming): route and remember the peer there. */
  peerMoved(old: SocketAddr, to: SocketAddr): void {
    this.peers.moved(old, to);
    this.env.log.info({ from: formatAddr(old), to: formatAddr(to) }, 'peer moved (roaming)');
  }

  /** Trying a frame against every live session costs work: bounded per source IP. */
  mayTryRoam(from: SocketAddr): boolean {
    return this.peers.mayTryRoam(from);
  }

  /** Each accepted relayed session, as a Path carrying the client's frames. */
  onRelayedPath(cb: RelayedPathHandler): void {
    this.relayedCb = cb;
  }

  /** The socket data to `to` leaves from (a link of its own, or the home's socket). */
  endpointFor(to: SocketAddr): UdpEndpoint | undefined {
    return this.socketFor(to)?.ep;
  }

  sendData(to: SocketAddr, payload: Uint8Array): void {
    this.socketFor(to)?.send({ type: 'data', payload }, to);
  }

  /** A client reached through a reversed round talks to the socket it found, not the main one. */
  private socketFor(to: SocketAddr) {
    return this.peers.linkFor(to) ?? this.sock;
  }

  get stats(): HomeStats {
    const observed = this.registration.observed;
    return {
      registered: observed !== undefined,
      observed: observed && formatAddr(observed),
      sprays: this.sprays.count,
      hopDistance: this.registration.hopDistance,
      sprayTtl: this.registration.holeTtl(),
      packetsSent: this.sock?.sent ?? 0,
      probesAnswered: this.peers.probesAnswered,
      peers: this.peers.size,
      peersMoved: this.peers.roamed,
      relayed: { ...this.relay.stats, live: this.relay.sessions },
      dropped: this.drops.toJSON(),
      candidates: this.candidates.status,
    };
  }

  /** Acks awaited by goodbye(), by tx. */
  private readonly byes = new Map<number, () => void>();

  /**
   * Going away (SIGTERM, issue 21 item 9): stops keepalives and tells the rendezvous and the
   * relay node with a deregister bound to each, so clients hear "home offline" at once. Settles
   * when both answered, or after `timeoutMs` (a lost goodbye only means the registration expires
   * as before). Call close() after it.
   */
  goodbye(timeoutMs = 600): Promise<void> {
    this.registration.close();
    this.relayNode.close();
    const targets: Array<{ to: SocketAddr; role: ServerRole }> = [];
    if (this.registration.observed)
      targets.push({ to: this.registration.rendezvous, role: 'rendezvous' });
    if (this.relayNode.relay) targets.push({ to: this.relayNode.relay, role: 'relay' });
    if (targets.length === 0 || !this.sock) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const senders: Retransmitter[] = [];
      let left = targets.length;
      const done = (): void => {
        deadline.cancel();
        for (const r of senders) r.cancel();
        this.byes.clear();
        resolve();
      };
      const deadline = this.env.clock.setTimer(timeoutMs, done);
      for (const t of targets) {
        const tx = this.tx.next();
        const auth =
          this.opts.trust?.deregistrationAuth?.(this.opts.id, { role: t.role, addr: t.to }) ??
          new Uint8Array(0);
        const msg: Message = { type: 'deregister', tx, homeId: this.opts.id, auth };
        const r = new Retransmitter(
          this.env.clock,
          { rtoMs: 200, maxRtoMs: 200, maxSends: 3 },
          () => this.sock?.send(msg, t.to, { padTo: REQUEST_PAD }),
          () => {},
        );
        senders.push(r);
        this.byes.set(tx, () => {
          r.ack();
          if (--left === 0) done();
        });
        r.start();
      }
    });
  }

  close(): void {
    this.nat?.cancel();
    this.registration.close();
    this.sprays.close();
    this.whenClosed = this.candidates.close();
    this.peers.close();
    this.relay.close();
    this.relayNode.close();
    this.sock?.close();
  }

  // --- dispatch -------------------------------------------------------------------------------

  private handle(msg: Message, from: SocketAddr): void {
    const fromRendezvous = sameAddr(from, this.registration.rendezvous);
    const fromRelayNode = !fromRendezvous && this.relayNode.isFrom(from);
    if ((fromRendezvous || fromRelayNode) && this.relay.handle(msg, from)) return;
    if (fromRelayNode && this.relayNode.handle(msg)) return;
    switch (msg.type) {
      case 'relayNode':
        // (A rendezvous naming itself is already the relay.)
        if (fromRendezvous && !sameAddr(msg.relay, from)) return this.relayNode.assign(msg.relay);
        break;
      case 'registered':
        if (fromRendezvous) return this.registration.onRegisteredMsg(msg);
        break;
      case 'serverInfo':
        if (!fromRendezvous) break;
        if (this.info?.appUrl !== msg.appUrl || this.info.wsUrl !== msg.wsUrl) {
          this.info = { tcpPort: msg.tcpPort, wsUrl: msg.wsUrl, appUrl: msg.appUrl };
          this.changed();
        } else this.info = { tcpPort: msg.tcpPort, wsUrl: msg.wsUrl, appUrl: msg.appUrl };
        return;
      case 'deregistered':
        if (fromRendezvous || fromRelayNode) this.byes.get(msg.tx)?.();
        this.byes.delete(msg.tx);
        return;
      case 'keepaliveAck':
        if (fromRendezvous) return this.registration.onKeepaliveAck(msg);
        break;
      case 'peerInfo':
        if (fromRendezvous) return this.sprays.onPeerInfo(msg);
        break;
      case 'hopReply':
        if (fromRendezvous) return this.registration.onHopReply(msg);
        break;
      case 'sprayDoneAck':
        if (fromRendezvous) return this.sprays.onSprayDoneAck(msg);
        break;
      case 'error':
        if (!fromRendezvous) break;
        if (!this.registration.onError(msg))
          this.env.log.warn(
            { code: ErrorCode[msg.code], message: msg.message },
            'rendezvous error',
          );
        return;
      case 'peerCandidates':
        if (fromRendezvous) return this.candidates.onPeerCandidates(msg);
        break;
      case 'candidatesQuery':
        if (fromRendezvous) return this.candidates.onQuery(msg, from);
        break;
      case 'mapNonce':
        // From anywhere: the rendezvous sends it from a fresh socket, through the router mapping.
        return this.candidates.onMapNonce(msg);
      case 'probe':
        if (this.sock && this.peers.answerProbe(this.sock, msg, from))
          this.sprays.settle(msg.session);
        return;
      case 'data':
        return this.onDataMsg(msg.payload, from, 'main');
      default:
        break;
    }
    this.drops.count(`unexpected-${msg.type}`);
  }

  /** Datagrams on the IPv6 socket: a client that knocked there becomes a link on it. */
  private onV6Message(sock: MessageSocket, msg: Message, from: SocketAddr): void {
    if (msg.type === 'probe') {
      if (!this.peers.answerProbe(sock, msg, from)) return;
      this.peers.adoptLink(from, sock);
      return this.candidates.stopKnocks(from);
    }
    if (msg.type === 'data' && this.peers.acceptsData(from, sock))
      return this.dataCb(msg.payload, from);
    if (msg.type !== 'punch') this.drops.count(`v6-unexpected-${msg.type}`);
  }

  /** Datagrams on a knock-back socket: the client's probe makes it the link to that client. */
  private onLinkMessage(kb: KnockBack, sock: MessageSocket, msg: Message, from: SocketAddr): void {
    if (msg.type === 'probe') {
      if (!this.peers.answerProbe(sock, msg, from)) return;
      if (this.peers.adoptLink(from, sock)) {
        kb.keep(sock);
        kb.close();
      }
      this.sprays.settle(msg.session);
      return;
    }
    if (msg.type === 'data') return this.onDataMsg(msg.payload, from, sock);
    this.drops.count(`link-unexpected-${msg.type}`);
  }

  /** Data from a peer, or from a peer's new address if it authenticates (then it moves there). */
  private onDataMsg(payload: Uint8Array, from: SocketAddr, via: MessageSocket | 'main'): void {
    // A peer that probed from its new address is known already; its channel moves in onData.
    if (this.peers.acceptsData(from, via)) return this.dataCb(payload, from);
    if (this.roamCb(payload, from) === undefined) this.drops.count('data-from-stranger');
  }
}
