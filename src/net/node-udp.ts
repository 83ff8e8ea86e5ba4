// node:dgram adapter for the UdpNet seam.
//
// Per-datagram TTL: dgram only has a per-socket setTTL(), and a send completes asynchronously
// (its callback runs on a later tick), so "setTTL; send; setTTL back"
// would send with the wrong TTL. Sends are therefore queued, and the TTL is changed only when no
// send is in flight, so every datagram leaves with exactly the TTL it asked for.
import dgram from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import { EndpointBase } from './endpoint-base.js';
import type { BindOptions, SendOptions, SocketAddr, UdpEndpoint, UdpNet } from './types.js';

const DEFAULT_TTL = 64;
/** Bound on queued datagrams per socket: past it, sends are dropped (and reported), not buffered. */
const MAX_QUEUE = 4096;
const RECV_BUFFER = 1 << 20;

/**
 * dgram resolves every destination, even an IP literal, through dns.lookup, which answers on the
 * next tick: a tick and a closure per datagram, a tenth of the home's CPU on a forwarded stream.
 * Our destinations are IP literals (names are resolved once, at start-up), answered at once.
 */
function literalLookup(
  address: string,
  family: unknown,
  cb: (err: Error | null, address: string, family: number) => void,
): void {
  const f = isIP(address);
  if (f !== 0) cb(null, address, f);
  else dnsLookup(address, family as number, cb);
}

interface Pending {
  data: Uint8Array;
  to: SocketAddr;
  ttl: number;
}

class NodeUdpEndpoint extends EndpointBase implements UdpEndpoint {
  private readonly sock: dgram.Socket;
  private queue: Pending[] = [];
  private inFlight = 0;
  private ttl = DEFAULT_TTL;
  private ready = false;
  closed = false;

  constructor(opts: BindOptions) {
    super();
    const ipv6 = opts.ip !== undefined && isIPv6(opts.ip);
    // ipv6Only: a socket on "::" must not also take IPv4 as ::ffff:a.b.c.d (one socket per family).
    const lookup = literalLookup as unknown as dgram.SocketOptions['lookup'];
    this.sock = dgram.createSocket(
      ipv6 ? { type: 'udp6', ipv6Only: true, lookup } : { type: 'udp4', lookup },
    );
    this.sock.on('message', (msg, rinfo) => {
      if (this.closed) return;
      try {
        this.handler(msg, { ip: rinfo.address, port: rinfo.port });
      } catch (err) {
        // A handler bug must not take the socket loop down with it.
        this.errorHandler(err instanceof Error ? err : new Error(String(err)));
      }
    });
    this.sock.on('error', (err) => this.errorHandler(err));
    this.sock.bind({ port: opts.port ?? 0, address: opts.ip, exclusive: true }, () => {
      const a = this.sock.address();
      this.bound = { ip: a.address, port: a.port };
      try {
        // Bursts (a 500-packet spray, many clients at once) must not overflow the default buffer.
        this.sock.setRecvBufferSize(RECV_BUFFER);
      } catch {
        // the kernel may refuse; the default buffer still works
      }
      this.ready = true;
      this.pump();
    });
  }

  send(data: Uint8Array, to: SocketAddr, opts?: SendOptions): void {
    if (this.closed) return;
    if (this.queue.length >= MAX_QUEUE) {
      this.errorHandler(
        new Error(`send queue full (${MAX_QUEUE}); datagram to ${to.ip}:${to.port} dropped`),
      );
      return;
    }
    this.queue.push({ data, to, ttl: opts?.ttl ?? DEFAULT_TTL });
    this.pump();
  }

  private pump(): void {
    while (this.ready && !this.closed && this.queue.length > 0) {
      const next = this.queue[0] as Pending;
      if (next.ttl !== this.ttl) {
        if (this.inFlight > 0) return; // wait until earlier datagrams have left with their TTL
        try {
          this.sock.setTTL(next.ttl);
          this.ttl = next.ttl;
        } catch (err) {
          this.queue.shift();
          this.errorHandler(err as Error);
          continue;
        }
      }
      this.queue.shift();
      this.inFlight++;
      this.sock.send(next.data, next.to.port, next.to.ip, (err) => {
        this.inFlight--;
        if (err && !this.closed) this.errorHandler(err);
        this.pump();
      });
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    try {
      this.sock.close();
    } catch {
      // already closed by the runtime
    }
  }
}

export const nodeUdp: UdpNet = {
  open: (opts: BindOptions = {}) => new NodeUdpEndpoint(opts),
};

/** Resolves with the bound address, or rejects with the bind error (for CLI start-up messages). */
export function whenBound(ep: UdpEndpoint, timeoutMs = 5000): Promise<SocketAddr> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    ep.onError((err) => reject(err));
    const check = (): void => {
      const a = ep.localAddress();
      if (a) return resolve(a);
      if (Date.now() - started > timeoutMs)
        return reject(new Error(`bind did not finish in ${timeoutMs} ms`));
      setTimeout(check, 2);
    };
    check();
  });
}
