// A virtual host: one IP, UDP sockets, and a gateway it sends everything through.
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
import type { Downstream, DropLog, Packet, Upstream } from './packet.js';

const EPHEMERAL_LO = 32768;
const EPHEMERAL_HI = 60999;
const DEFAULT_TTL = 64;

class VirtualEndpoint implements UdpEndpoint {
  closed = false;
  handler: DatagramHandler = () => {};
  constructor(
    private readonly host: VirtualHost,
    readonly local: SocketAddr,
  ) {}
  send(data: Uint8Array, to: SocketAddr, opts?: SendOptions): void {
    if (!this.closed)
      this.host.emit({ src: this.local, dst: to, ttl: opts?.ttl ?? DEFAULT_TTL, data });
  }
  onDatagram(h: DatagramHandler): void {
    this.handler = h;
  }
  onError(): void {}
  localAddress(): SocketAddr {
    return this.local;
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.release(this.local.port);
  }
}

export class VirtualHost implements UdpNet, Downstream {
  private readonly sockets = new Map<number, VirtualEndpoint>();
  gateway: Upstream | undefined;

  constructor(
    readonly ip: string,
    private readonly clock: VirtualClock,
    private readonly rng: Random,
    private readonly drops: DropLog,
    /** Delay from this host to its gateway (LAN), ms. */
    private readonly lanDelayMs = 0.1,
  ) {}

  open(opts: BindOptions = {}): UdpEndpoint {
    let port = opts.port ?? 0;
    if (port !== 0 && this.sockets.has(port)) throw new Error(`${this.ip}:${port} already bound`);
    for (let tries = 0; port === 0 && tries < 100_000; tries++) {
      const p = EPHEMERAL_LO + this.rng.int(EPHEMERAL_HI - EPHEMERAL_LO + 1);
      if (!this.sockets.has(p)) port = p;
    }
    if (port === 0) throw new Error(`${this.ip}: no free ephemeral port`);
    const ep = new VirtualEndpoint(this, { ip: this.ip, port });
    this.sockets.set(port, ep);
    return ep;
  }

  release(port: number): void {
    this.sockets.delete(port);
  }

  emit(p: Packet): void {
    const gw = this.gateway;
    if (!gw) return this.drops.drop('no-gateway');
    // Always asynchronous, so a role's send() never re-enters another role's handler.
    this.clock.sendUp(this.lanDelayMs, gw, p);
  }

  fromOutside(p: Packet): void {
    const ep = this.sockets.get(p.dst.port);
    if (!ep || ep.closed) return this.drops.drop('port-closed');
    ep.handler(p.data, p.src);
  }
}
