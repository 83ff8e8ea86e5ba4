// What the TCP and WebSocket adapters share: one connection becomes one ClientTransport whose
// frames are decoded at the edge and fed to the relay core; when it ends, its sessions end.
// Connections are admitted per IP and must open a session soon (no parking idle sockets).
// Adapter code, outside the Env seam: it uses node timers.
import type { SocketAddr } from '../net/types.js';
import { formatAddr } from '../wire/addr.js';
import { decode } from '../wire/messages.js';
import { CarrierQueue, MAX_FRAME } from './frames.js';
import { RelayCloseCode } from '../wire/relay-messages.js';
import type { RelayCore } from './server.js';
import type { ClientTransport, RelayTransportKind } from './transport.js';
import { ConnectionBridge, type BridgeBudget } from './bridge.js';
import type { MessageOf } from '../wire/messages.js';
import type { RedirectTarget } from './redirect.js';

export interface StreamLimits {
  /** Largest frame/message accepted from a client (bytes). */
  maxFrame: number;
  /** Bytes queued towards a client; over it frames are dropped (counted `<kind>-queue-full`). */
  maxBuffered: number;
  /** A client over maxBuffered this long without draining is a slow reader and is cut off (ms). */
  slowReaderMs: number;
  /** A connection that carries nothing for this long is closed (ms). */
  idleMs: number;
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** A connection that has not opened a session this long after connecting is closed (ms). */
  helloMs: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  maxFrame: MAX_FRAME,
  maxBuffered: 256 * 1024,
  slowReaderMs: 10_000,
  idleMs: 150_000,
  maxConnections: 10_000,
  maxConnectionsPerIp: 16,
  helloMs: 10_000,
};

/** Live stream connections per client IP, against maxConnectionsPerIp. */
export class ConnectionGate {
  private readonly perIp = new Map<string, number>();
  constructor(private readonly maxPerIp: number) {}
  admit(ip: string): boolean {
    const n = this.perIp.get(ip) ?? 0;
    if (n >= this.maxPerIp) return false;
    this.perIp.set(ip, n + 1);
    return true;
  }
  release(ip: string): void {
    const n = (this.perIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, n);
  }
}

/** The socket side a stream adapter provides. */
export interface StreamSocket {
  write(bytes: Uint8Array): void;
  /** Bytes written but not yet taken by the kernel/peer. */
  buffered(): number;
  destroy(): void;
}

let nextId = 0;

export class StreamClient implements ClientTransport {
  readonly key: string;
  readonly label: string;
  private ended = false;
  private readonly hello: ReturnType<typeof setTimeout>;
  private readonly queue: CarrierQueue;
  private readonly bridged: ConnectionBridge | undefined;
  /** Set when this connection's client cannot follow redirects (relay/bridge.ts). */
  readonly bridge?: (open: MessageOf<'relayOpen'>, to: RedirectTarget) => void;

  constructor(
    readonly kind: Exclude<RelayTransportKind, 'udp'>,
    readonly addr: SocketAddr,
    private readonly sock: StreamSocket,
    private readonly core: RelayCore,
    private readonly limits: StreamLimits,
    private readonly gate: ConnectionGate,
    bridgeBudget?: BridgeBudget,
  ) {
    if (bridgeBudget) {
      const bridged = new ConnectionBridge(this, bridgeBudget, core.bridgeEvents);
      this.bridged = bridged;
      this.bridge = (open, to) => {
        if (!this.ended) bridged.open(open, to);
      };
    }
    this.queue = new CarrierQueue(limits.maxBuffered, limits.slowReaderMs);
    this.key = `${kind}#${++nextId}`;
    this.label = `${kind} ${formatAddr(addr)}`;
    this.hello = setTimeout(() => {
      if (this.core.sessionsOf(this) + (this.bridged?.size ?? 0) > 0) return;
      this.core.countDrop(`${kind}-no-session`);
      this.close('no session opened');
    }, limits.helloMs);
    this.hello.unref();
  }

  /** One complete frame (TCP) or binary message (WebSocket) from the client. */
  receive(bytes: Uint8Array): void {
    if (this.ended) return;
    const r = decode(bytes);
    if (!r.ok) return this.core.countDrop(`${this.kind}-malformed`);
    if (this.bridged?.has(r.msg)) return this.bridged.fromClient(r.msg, bytes);
    this.core.fromClient(r.msg, this, bytes.length);
  }

  send(frame: Uint8Array): void {
    if (this.ended) return;
    const q = this.queue.check(this.sock.buffered());
    if (q === 'drop') return this.core.countDrop(`${this.kind}-queue-full`);
    if (q === 'stuck') {
      this.core.countDrop(`${this.kind}-slow-reader`);
      return this.close('the client is not reading (slow reader)', RelayCloseCode.SlowReader);
    }
    this.sock.write(frame);
  }

  close(reason: string, code = RelayCloseCode.PeerClosed): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.hello);
    this.gate.release(this.addr.ip);
    this.sock.destroy();
    this.bridged?.closeAll();
    this.core.transportClosed(this, code, reason);
  }

  /** The connection ended on its own (peer closed, error, idle). */
  gone(): void {
    this.close('the client disconnected');
  }
}
