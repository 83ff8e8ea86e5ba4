// A virtual host: one IP, UDP sockets, and a gateway it sends everything through. Behaves like
// the node:dgram adapter where roles can tell: bind failures and handler exceptions arrive at
// the socket's error handler (asynchronously for binds), never as a throw into the caller.
import type {
  BindOptions,
  DatagramHandler,
  Random,
  SendOptions,
  SocketAddr,
  UdpEndpoint,
  UdpNet,
} from '../types.js';
import type { VirtualClock } from './clock.js';
import type { DropCounter } from '../drops.js';
import type { Downstream, Packet, Upstream } from './packet.js';

const EPHEMERAL_LO = 32768;
const EPHEMERAL_HI = 60999;
const DEFAULT_TTL = 64;
const ANY = new Set(['0.0.0.0', '::']);

class VirtualEndpoint implements UdpEndpoint {
  closed = false;
  handler: DatagramHandler = () => {};
  errorHandler: (err: Error) => void = () => {};
  constructor(
    private readonly host: VirtualHost,
    readonly local: SocketAddr | undefined,
  ) {}
  send(data: Uint8Array, to: SocketAddr, opts?: SendOptions): void {
    if (!this.closed && this.local)
      this.host.emit({ src: this.local, dst: to, ttl: opts?.ttl ?? DEFAULT_TTL, data });
  }
  onDatagram(h: DatagramHandler): void {
    this.handler = h;
  }
  onError(h: (err: Error) => void): void {
    this.errorHandler = h;
  }
  localAddress(): SocketAddr | undefined {
    return this.local;
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.local) this.host.release(this.local.port, this);
  }
}

export class VirtualHost implements UdpNet, Downstream {
  private readonly sockets = new Map<number, VirtualEndpoint>();
  gateway: Upstream | undefined;

  constructor(
    readonly ip: string,
    private readonly clock: VirtualClock,
    private readonly rng: Random,
    private readonly drops: DropCounter,
    /** Delay from this host to its gateway (LAN), ms. */
    private readonly lanDelayMs = 0.1,
  ) {}

  /** Sockets currently bound. */
  get openSockets(): number {
    return this.sockets.size;
  }

  open(opts: BindOptions = {}): UdpEndpoint {
    if (opts.ip !== undefined && opts.ip !== this.ip && !ANY.has(opts.ip))
      return this.failed(`bind ${opts.ip}: EADDRNOTAVAIL (this virtual host is ${this.ip})`);
    let port = opts.port ?? 0;
    if (port !== 0 && this.sockets.has(port))
      return this.failed(`bind ${this.ip}:${port}: EADDRINUSE`);
    for (let tries = 0; port === 0 && tries < 100_000; tries++) {
      const p = EPHEMERAL_LO + this.rng.int(EPHEMERAL_HI - EPHEMERAL_LO + 1);
      if (!this.sockets.has(p)) port = p;
    }
    if (port === 0) return this.failed(`${this.ip}: no free ephemeral port`);
    const ep = new VirtualEndpoint(this, { ip: this.ip, port });
    this.sockets.set(port, ep);
    return ep;
  }

  /** An unbound, closed socket whose error handler hears why, once the caller could listen. */
  private failed(message: string): UdpEndpoint {
    const ep = new VirtualEndpoint(this, undefined);
    ep.closed = true;
    this.clock.setTimer(0, () => ep.errorHandler(new Error(message)));
    return ep;
  }

  release(port: number, ep: VirtualEndpoint): void {
    if (this.sockets.get(port) === ep) this.sockets.delete(port);
  }

  emit(p: Packet): void {
    const gw = this.gateway;
    if (!gw) return this.drops.count('no-gateway');
    // Always asynchronous, so a role's send() never re-enters another role's handler.
    this.clock.sendUp(this.lanDelayMs, gw, p);
  }

  fromOutside(p: Packet): void {
    const ep = this.sockets.get(p.dst.port);
    if (!ep || ep.closed) return this.drops.count('port-closed');
    try {
      ep.handler(p.data, p.src);
    } catch (err) {
      // As on node:dgram: a handler bug reaches the socket's error handler, not the event loop.
      this.drops.count('handler-threw');
      ep.errorHandler(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
