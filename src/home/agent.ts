// The home agent: the patent's "server". Owns the listening socket and routes each datagram to
// the part that handles it: the registration with the rendezvous (registration.ts), the assisted
// sessions that open holes towards clients (sprays.ts), and the clients that reached us (peers.ts).
import type { Env, SocketAddr } from '../net/types.js';
import { DropCounter, MessageSocket } from '../net/message-socket.js';
import { TxIds } from '../net/tx-ids.js';
import { withDefaults } from '../options.js';
import { formatAddr, sameAddr } from '../wire/addr.js';
import { ErrorCode, HOME_ID_PATTERN, type Message } from '../wire/messages.js';
import { DEFAULT_HOME, type HomeConfig, type HomeOptions, type HomeStats } from './config.js';
import type { KnockBack } from '../punch/knock-back.js';
import { Peers } from './peers.js';
import { homeRelay, type RelayedPathHandler } from './relayed.js';
import type { HomeRelay } from '../relay/home-relay.js';
import { Registration } from './registration.js';
import { Sprays } from './sprays.js';

export { DEFAULT_HOME };
export type { HomeConfig, HomeOptions, HomeStats, HomeTrust } from './config.js';

export class HomeAgent {
  private readonly cfg: HomeConfig;
  private readonly drops = new DropCounter();
  private readonly tx: TxIds;
  private readonly registration: Registration;
  private readonly sprays: Sprays;
  private readonly peers: Peers;
  /** Sessions the rendezvous relays to us over our keepalive mapping (issue 10). */
  readonly relay: HomeRelay;
  private relayedCb: RelayedPathHandler = (path) => path.close();
  private sock: MessageSocket | undefined;
  private dataCb: (payload: Uint8Array, from: SocketAddr) => void = () => {};

  constructor(
    private readonly env: Env,
    private readonly opts: HomeOptions,
  ) {
    if (!HOME_ID_PATTERN.test(opts.id)) {
      throw new Error(`home id "${opts.id}" must be 1-64 characters of A-Z a-z 0-9 . _ -`);
    }
    this.cfg = withDefaults(DEFAULT_HOME, opts);
    this.tx = new TxIds(env.rng);
    const send = (msg: Message, to: SocketAddr, padTo?: number, ttl?: number): void =>
      this.sock?.send(msg, to, { ttl, padTo });
    this.registration = new Registration(
      env,
      opts,
      this.cfg,
      this.tx,
      send,
      () => this.sock?.ep.localAddress()?.port,
    );
    this.relay = homeRelay(opts, send, (path, client) => this.relayedCb(path, client));
    this.peers = new Peers(env, this.cfg, opts.id, this.drops);
    this.sprays = new Sprays(env, opts, this.cfg, this.drops, this.tx, {
      send,
      holeTtl: () => this.registration.holeTtl(),
      rvRttMs: () => this.registration.rvRttMs,
      onLinkMessage: (kb, sock, m, from) => this.onLinkMessage(kb, sock, m, from),
    });
  }

  get id(): string {
    return this.opts.id;
  }

  start(): void {
    const ep = this.env.net.open(this.opts.listen ?? {});
    this.sock = new MessageSocket(ep, this.drops, this.env.log, (m, from) => this.handle(m, from));
    this.registration.start();
  }

  get endpoint(): MessageSocket['ep'] | undefined {
    return this.sock?.ep;
  }

  onRegistered(cb: (observed: SocketAddr) => void): void {
    this.registration.onRegistered(cb);
  }

  /** Application payload from a client that reached us (plain channel; the secure one wraps it). */
  onData(cb: (payload: Uint8Array, from: SocketAddr) => void): void {
    this.dataCb = cb;
  }

  /** Each accepted relayed session, as a Path carrying the client's frames. */
  onRelayedPath(cb: RelayedPathHandler): void {
    this.relayedCb = cb;
  }

  sendData(to: SocketAddr, payload: Uint8Array): void {
    // A client reached through a reversed round talks to the socket it found, not the main one.
    (this.peers.linkFor(to) ?? this.sock)?.send({ type: 'data', payload }, to);
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
      relayed: { ...this.relay.stats, live: this.relay.sessions },
      dropped: this.drops.toJSON(),
    };
  }

  close(): void {
    this.registration.close();
    this.sprays.close();
    this.peers.close();
    this.relay.close();
    this.sock?.close();
  }

  // --- dispatch -------------------------------------------------------------------------------

  private handle(msg: Message, from: SocketAddr): void {
    const fromRendezvous = sameAddr(from, this.opts.rendezvous);
    if (fromRendezvous && this.relay.handle(msg, from)) return;
    switch (msg.type) {
      case 'registered':
        if (fromRendezvous) return this.registration.onRegisteredMsg(msg);
        break;
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
      case 'probe':
        if (this.sock && this.peers.answerProbe(this.sock, msg, from))
          this.sprays.settle(msg.session);
        return;
      case 'data':
        if (this.peers.acceptsData(from, 'main')) return this.dataCb(msg.payload, from);
        this.drops.count('data-from-stranger');
        return;
      default:
        break;
    }
    this.drops.count(`unexpected-${msg.type}`);
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
    if (msg.type === 'data' && this.peers.acceptsData(from, sock))
      return this.dataCb(msg.payload, from);
    this.drops.count(`link-unexpected-${msg.type}`);
  }
}
