// A STUN Binding server over the Env seam: owns (or adopts) up to four UDP endpoints and sends
// each StunResponder answer from the endpoint the client asked for (CHANGE-REQUEST).
//
// Beside the rendezvous: the rendezvous keeps its own socket and hands it over with adopt(PRIMARY,
// socket); its datagram handler then routes STUN (isStun) to handleDatagram and everything else
// to its own protocol. Porthole's datagrams start with "PH", so they never look like STUN.
import type { Env, SocketAddr, UdpEndpoint } from '../net/types.js';
import { isStun } from './stun-codec.js';
import {
  DEFAULT_RESPONDER,
  StunResponder,
  type EndpointIndex,
  type ResponderOptions,
  type StunServerConfig,
} from './stun-responder.js';

const key = (i: EndpointIndex): number => i.ip * 2 + i.port;

export class StunServer {
  readonly responder: StunResponder;
  private readonly sockets = new Map<number, UdpEndpoint>();
  private readonly owned = new Set<UdpEndpoint>();

  constructor(
    private readonly env: Env,
    private readonly config: StunServerConfig,
    opts: ResponderOptions = DEFAULT_RESPONDER,
  ) {
    this.responder = new StunResponder(config, opts);
  }

  /**
   * Uses an endpoint someone else owns (the rendezvous's socket) for index `at`. Its owner must
   * pass STUN datagrams to handleDatagram(data, from, at); close() leaves it open.
   */
  adopt(at: EndpointIndex, socket: UdpEndpoint): this {
    this.sockets.set(key(at), socket);
    return this;
  }

  /** Binds every configured endpoint not adopted, via env.net.open. */
  open(): this {
    for (const at of this.responder.endpoints()) {
      if (this.sockets.has(key(at))) continue;
      const addr = this.responder.endpoint(at) as SocketAddr;
      const ep = this.env.net.open({
        ip: this.config.bindIps?.[at.ip] ?? addr.ip,
        port: addr.port,
      });
      ep.onError((err) => this.env.log.warn({ err: err.message, at: addr }, 'stun endpoint error'));
      ep.onDatagram((data, from) => {
        if (isStun(data)) this.handleDatagram(data, from, at);
      });
      this.sockets.set(key(at), ep);
      this.owned.add(ep);
    }
    return this;
  }

  /** Answers one datagram that arrived on endpoint `at`. */
  handleDatagram(data: Uint8Array, from: SocketAddr, at: EndpointIndex): void {
    const reply = this.responder.handle(data, from, at, this.env.clock.now());
    if (!reply) return;
    const via = this.sockets.get(key(reply.via));
    if (via) via.send(reply.data, reply.to);
  }

  /** Every endpoint is bound (OS binds finish asynchronously; start-up code may wait for it). */
  get bound(): boolean {
    return [...this.sockets.values()].every((ep) => ep.localAddress() !== undefined);
  }

  close(): void {
    for (const ep of this.owned) ep.close();
    this.owned.clear();
    this.sockets.clear();
  }
}
