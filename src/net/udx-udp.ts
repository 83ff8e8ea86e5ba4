// A UdpNet whose sockets are udx-native sockets (docs/streams.md "UDX on the punched socket"):
// the home's and the client's sockets, so forwarded streams (src/streams/) send their UDX packets
// on the punched socket itself instead of through the loopback shim and the Noise channel. Every
// datagram that is not a packet for one of UDX's streams reaches `onDatagram` as from node:dgram
// (Porthole's messages start "PH", UDX's 0xFF 0x01), so the protocol logic above is unchanged.
// One UDX instance per process: a stream can move only between sockets of its own instance.
// Node-only (native): the neutral and browser layers never import this file.
import { createRequire } from 'node:module';
import { isIP, isIPv6 } from 'node:net';
import type UDX from 'udx-native';
import type { UDXSocket } from 'udx-native';
import { EndpointBase } from './endpoint-base.js';
import type { BindOptions, SendOptions, SocketAddr, UdpEndpoint, UdpNet } from './types.js';

const RECV_BUFFER = 1 << 20;
const SEND_BUFFER = 1 << 20;

let shared: UDX | undefined;
/**
 * The process's UDX instance: streams and the sockets they may move between. The native module
 * loads on first use (real-env.ts imports this file for every role; the rendezvous never opens
 * a UDX socket).
 */
export function sharedUdx(): UDX {
  if (!shared) {
    const Udx = createRequire(import.meta.url)('udx-native') as typeof UDX;
    shared = new Udx();
  }
  return shared;
}

/** The bound endpoints of this process (for isOwnUdxSource). */
const own = new Set<UdxUdpEndpoint>();
const LOOPBACKS = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * Did a datagram from (host, port) leave one of this process's UDX sockets? A stream moved off
 * the loopback shim sends its next packet (the one that marks the change) from its new socket
 * to its old remote, the shim (libudx defers the address until the old remote acks it).
 */
export function isOwnUdxSource(host: string, port: number): boolean {
  for (const ep of own) {
    const b = ep.localAddress();
    if (!b || b.port !== port) continue;
    if (b.ip === host || LOOPBACKS.has(host) || b.ip === '0.0.0.0' || b.ip === '::') return true;
  }
  return false;
}

export class UdxUdpEndpoint extends EndpointBase implements UdpEndpoint {
  readonly socket: UDXSocket;
  closed = false;

  constructor(opts: BindOptions) {
    super();
    const ipv6 = opts.ip !== undefined && isIPv6(opts.ip);
    this.socket = sharedUdx().createSocket(ipv6 ? { ipv6Only: true } : {});
    this.socket.on('message', (msg: Buffer, from: { host: string; port: number }) => {
      if (this.closed) return;
      try {
        this.handler(msg, { ip: from.host, port: from.port });
      } catch (err) {
        this.errorHandler(err instanceof Error ? err : new Error(String(err)));
      }
    });
    try {
      // An IPv4 socket unless told: UDX's default ("::", dual-stack) would report IPv4 peers as
      // ::ffff:a.b.c.d, which the protocol compares with plain addresses.
      this.socket.bind(opts.port ?? 0, opts.ip ?? '0.0.0.0');
      const a = this.socket.address();
      this.bound = { ip: a.host, port: a.port };
      own.add(this);
      try {
        this.socket.setRecvBufferSize(RECV_BUFFER);
        this.socket.setSendBufferSize(SEND_BUFFER);
      } catch {
        // the kernel may refuse; the default buffers still work
      }
    } catch (err) {
      // As node:dgram does: a bind failure is reported on a later tick, to the error handler.
      setImmediate(() => this.errorHandler(err instanceof Error ? err : new Error(String(err))));
    }
  }

  send(data: Uint8Array, to: SocketAddr, opts?: SendOptions): void {
    if (this.closed || !this.bound) return;
    if (isIP(to.ip) === 0) {
      this.errorHandler(new Error(`${to.ip} is not an IP address`));
      return;
    }
    const buf = Buffer.isBuffer(data)
      ? data
      : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    try {
      // A per-datagram TTL (hole-opening packets): UDX sets it for this one send.
      this.socket.trySend(buf, to.port, to.ip, opts?.ttl ?? 0);
    } catch (err) {
      this.errorHandler(err instanceof Error ? err : new Error(String(err)));
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    own.delete(this);
    // UDX closes the socket once the streams on it have closed (or moved off it).
    this.socket.close().catch(() => {});
  }
}

export const udxUdp: UdpNet = {
  open: (opts: BindOptions = {}) => new UdxUdpEndpoint(opts),
};

/** The UDX socket under an endpoint, when it is one of ours (a stream can send on it). */
export function udxSocketOf(ep: UdpEndpoint | undefined): UDXSocket | undefined {
  return ep instanceof UdxUdpEndpoint && !ep.closed ? ep.socket : undefined;
}
