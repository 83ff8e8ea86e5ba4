// Streams over one live channel (docs/streams.md). The client opens a stream to a service by
// name: it creates its UDX end at once (id s, odd, random) and connects it to the home's end
// (s + 1), so its first bytes leave with the `open` request; the home decides (access, then the
// service's address), creates its end and answers `ok`, or `no` with a reason and opens nothing.
// `open` is retransmitted (the channel is datagrams) until answered; a duplicate is answered again.
// Where a stream's UDX packets go follows the session's path: on a punched path whose socket is a
// UDX socket (net/udx-udp.ts) they go straight to the peer's address on it; on any other path
// (relayed, or a socket that is not UDX) through the loopback shim and the channel (udx-link.ts).
// Each side moves its streams on its own when its path changes; the firewall lets in the packets
// of a peer that has not moved yet (from the shim, or from the session's punched peer).
import { randomInt } from 'node:crypto';
import type { Socket } from 'node:net';
import type SecretStream from '@hyperswarm/secret-stream';
import type { UDXSocket, UDXStream } from 'udx-native';
import type { MessageChannel } from '../net/channel.js';
import type { Clock, SocketAddr, TimerHandle, UdpEndpoint } from '../net/types.js';
import { udxSocketOf } from '../net/udx-udp.js';
import { MAX_PLAINTEXT } from '../secure/noise-frames.js';
import { UdxLink } from './udx-link.js';
import { newStreamKey, secureStream } from './secure.js';
import { joinStreams, type Traffic } from './pump.js';
import {
  CONTROL_FRAME,
  decodeBatch,
  decodeControl,
  encodeControl,
  MAX_STREAM_ID,
  UDX_BATCH_FRAME,
  UDX_FRAME,
  type Control,
} from './wire.js';

/** The largest frame a stream sends: one Noise frame's plaintext on a 1,400-byte path. */
export const DEFAULT_MAX_FRAME = MAX_PLAINTEXT;
/** Open streams per session (each holds a ~66 KiB UDX receive buffer). */
export const MAX_STREAMS = 512;
const OPEN_RTO_MS = 250;
const OPEN_MAX_SENDS = 8;
const LIST_TIMEOUT_MS = 5000;
/** How often a mux looks at its session's path (a switch or a roam moves its streams). */
const ROUTE_CHECK_MS = 100;
const LOOPBACK = '127.0.0.1';

/**
 * The session's punched path, when it has one: the socket it runs on and the peer's address
 * there (following roams). Streams go on it directly when the socket is a UDX one.
 */
export interface DirectRoute {
  ep: UdpEndpoint;
  peer: SocketAddr;
}

/**
 * Stream ids in use in this process: one UDX instance per process (net/udx-udp.ts), so one id
 * space for every session. A client picks its ids at random (so two clients of one home do not
 * collide, and an off-path guess on the Internet-facing socket is 2^30 harder); the home takes
 * s + 1 and refuses an `open` whose s + 1 is taken here.
 */
const usedIds = new Set<number>();

function freeClientId(): number {
  for (;;) {
    const s = 2 * randomInt(0, Math.floor((MAX_STREAM_ID - 1) / 2)) + 1;
    if (!usedIds.has(s) && !usedIds.has(s + 1)) return s;
  }
}

export interface StreamMuxOptions {
  /** The stream side of the channel (splitChannel). */
  channel: MessageChannel;
  clock: Clock;
  /** The largest frame the current path carries (default DEFAULT_MAX_FRAME). */
  maxFrame?: () => number;
  /** The session's punched path now (undefined: relayed, or unknown). */
  route?: () => DirectRoute | undefined;
}

interface Target {
  socket: UDXSocket;
  port: number;
  host: string;
}

interface Moving {
  raw: UDXStream;
  remoteId: number;
  /** A changeRemote in progress (UDX allows one at a time). */
  busy: boolean;
  /** May it leave the shim (the peer said it takes stream packets on its punched socket)? */
  direct: boolean;
}

export interface RouteStats {
  /** Streams created on the punched socket / on the loopback shim. */
  direct: number;
  shim: number;
  /** Stream moves between them (a path switch or a roam). */
  moves: number;
}

abstract class StreamMux {
  protected readonly link: UdxLink;
  protected closed = false;
  private readonly raws = new Map<number, Moving>();
  private targetKey = 'shim';
  private routeTimer: TimerHandle | undefined;
  readonly routeStats: RouteStats = { direct: 0, shim: 0, moves: 0 };

  constructor(protected readonly o: StreamMuxOptions) {
    const max = o.maxFrame ?? (() => DEFAULT_MAX_FRAME);
    this.link = new UdxLink((f) => o.channel.send(f), max);
    o.channel.onMessage((d) => {
      if (this.closed) return;
      if (d[0] === UDX_FRAME) this.link.inject(d.subarray(1));
      else if (d[0] === UDX_BATCH_FRAME) {
        for (const p of decodeBatch(d.subarray(1)) ?? []) this.link.inject(p);
      } else if (d[0] === CONTROL_FRAME) {
        const c = decodeControl(d.subarray(1));
        if (!c) return;
        if ((c.t === 'open' || c.t === 'ok') && c.b === 1) this.link.peerBatches = true;
        this.onControl(c);
      }
    });
  }

  get ready(): Promise<void> {
    return this.link.ready;
  }

  /** The loopback sockets are bound: frames can be handled. */
  get isReady(): boolean {
    return this.link.remotePort !== 0;
  }

  get linkStats(): UdxLink['stats'] {
    return this.link.stats;
  }

  protected abstract onControl(c: Control): void;

  protected sendControl(c: Control): void {
    if (this.closed) return;
    try {
      this.o.channel.send(encodeControl(c));
    } catch {
      // the channel is gone: the stream's own timeouts end it
    }
  }

  /**
   * Where a stream sends now: the punched UDX socket and the peer on it, or the shim. Only a
   * stream both ends of which are new enough (`direct`: said in `open` and `ok`) leaves the shim:
   * an older peer's node:dgram socket would drop UDX packets arriving on it.
   */
  private target(direct = true): Target {
    const r = direct ? this.o.route?.() : undefined;
    const socket = r ? udxSocketOf(r.ep) : undefined;
    if (r && socket && !socket.closing) return { socket, port: r.peer.port, host: r.peer.ip };
    return { socket: this.link.socket, port: this.link.remotePort, host: LOOPBACK };
  }

  private static key(t: Target, shim: UDXSocket): string {
    return t.socket === shim ? 'shim' : `${t.host}|${t.port}|${t.socket.address().port}`;
  }

  /**
   * A packet for one of our streams arrived on a socket other than the stream's: from the
   * peer's shim (it has not moved onto the punched path yet, or has moved off it), or from the
   * session's punched peer on its socket (it moved first). Anything else is dropped (true).
   */
  private readonly firewall = (socket: UDXSocket, port: number, host: string): boolean => {
    if (this.link.fromShim(socket, port, host)) return false;
    const r = this.o.route?.();
    return !(r && udxSocketOf(r.ep) === socket && r.peer.port === port && r.peer.ip === host);
  };

  /** Looks at the path; when it changed, moves every stream (each when UDX lets it). */
  private checkRoute(): void {
    this.routeTimer = undefined;
    if (this.closed) return;
    const t = this.target();
    const key = StreamMux.key(t, this.link.socket);
    if (key !== this.targetKey) {
      this.targetKey = key;
      for (const m of this.raws.values()) this.move(m);
    }
    if (this.raws.size > 0)
      this.routeTimer = this.o.clock.setTimer(ROUTE_CHECK_MS, () => this.checkRoute());
  }

  private move(m: Moving): void {
    if (m.busy || this.closed || m.raw.destroying || m.raw.destroyed) return;
    const t = this.target(m.direct);
    if (m.raw.socket === t.socket && m.raw.remotePort === t.port && m.raw.remoteHost === t.host)
      return;
    m.busy = true;
    let p: Promise<void> | null;
    try {
      // A promise while packets sent to the old remote are unacked; null when it moved at once.
      p = m.raw.changeRemote(t.socket, m.remoteId, t.port, t.host);
    } catch {
      m.busy = false;
      return; // closing; or the socket went away: the next check tries again
    }
    this.routeStats.moves++;
    if (!p) {
      m.busy = false;
      return;
    }
    p.then(
      () => {
        m.busy = false;
        this.move(m); // the path may have changed again meanwhile
      },
      () => (m.busy = false),
    );
  }

  /**
   * A UDX stream connected to the peer's end, sealed with its own key (streams/secure.ts). Bytes
   * that fail to verify (injected on the loopback leg) end it, and are counted.
   */
  protected newStream(
    id: number,
    remoteId: number,
    key: string,
    client: boolean,
    direct: boolean,
  ): SecretStream {
    const raw = this.link.udx.createStream(id, { firewall: this.firewall });
    usedIds.add(id);
    this.targetKey = StreamMux.key(this.target(), this.link.socket);
    const t = this.target(direct);
    if (t.socket === this.link.socket) this.routeStats.shim++;
    else this.routeStats.direct++;
    raw.connect(t.socket, remoteId, t.port, t.host);
    this.raws.set(id, { raw, remoteId, busy: false, direct });
    this.routeTimer ??= this.o.clock.setTimer(ROUTE_CHECK_MS, () => this.checkRoute());
    raw.once('close', () => {
      usedIds.delete(id);
      this.raws.delete(id);
      this.link.stats.retransmits += raw.retransmits;
      this.link.stats.rtos += raw.rtoCount;
    });
    return secureStream(raw, key, client, () => this.link.stats.rejected++);
  }

  /** The peer can take this stream's packets on the punched socket: move it there if punched. */
  protected allowDirect(id: number): void {
    const m = this.raws.get(id);
    if (!m || m.direct) return;
    m.direct = true;
    this.move(m);
  }

  protected stopRouting(): void {
    this.routeTimer?.cancel();
    this.routeTimer = undefined;
  }

  abstract close(): void;
}

// --- client ---------------------------------------------------------------------------------

export interface OpenStream {
  /** The stream: write to it at once (the bytes wait in UDX until the home's end exists). */
  stream: SecretStream;
  /** Resolves when the home accepted; rejects with its refusal (or no answer). */
  accepted: Promise<void>;
}

/** Why a home may stay silent: one older than streams drops their frames (docs/upgrade-order.md). */
const OLDER_HOME = ' (is it older than forwarded services? upgrade it)';

export class StreamRefused extends Error {
  override name = 'StreamRefused';
}

interface Pending {
  stream: SecretStream;
  name: string;
  key: string;
  sends: number;
  timer: TimerHandle | undefined;
  resolve(): void;
  reject(e: Error): void;
}

export class ClientStreams extends StreamMux {
  private readonly pending = new Map<number, Pending>();
  private readonly live = new Map<number, SecretStream>();
  private nextQ = 0;
  private readonly lists = new Map<number, (names: string[]) => void>();

  /** Opens a stream to service `name` (wait for `ready` first). */
  open(name: string): OpenStream {
    if (this.closed) throw new StreamRefused('the connection is closed');
    if (this.live.size >= MAX_STREAMS)
      throw new StreamRefused(`too many open streams (${MAX_STREAMS})`);
    const id = freeClientId();
    const key = newStreamKey();
    // On the shim until the home's `ok` says it takes stream packets on its punched socket.
    const stream = this.newStream(id, id + 1, key, true, false);
    this.live.set(id, stream);
    stream.once('close', () => {
      this.live.delete(id);
      this.settle(id, new StreamRefused('stream closed before the home answered'));
    });
    const accepted = new Promise<void>((resolve, reject) => {
      const p: Pending = { stream, name, key, sends: 0, timer: undefined, resolve, reject };
      this.pending.set(id, p);
      this.sendOpen(id, p);
    });
    accepted.catch(() => stream.destroy());
    return { stream, accepted };
  }

  private sendOpen(id: number, p: Pending): void {
    if (p.sends >= OPEN_MAX_SENDS) {
      this.settle(id, new StreamRefused(`the home did not answer the stream open${OLDER_HOME}`));
      return;
    }
    const rto = Math.min(OPEN_RTO_MS * 2 ** p.sends, 2000);
    p.sends++;
    this.sendControl({ t: 'open', s: id, n: p.name, k: p.key, d: 1, b: 1 });
    p.timer = this.o.clock.setTimer(rto, () => this.sendOpen(id, p));
  }

  private settle(id: number, err?: Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.timer?.cancel();
    if (err) p.reject(err);
    else p.resolve();
  }

  /** The services this client may use on the home. */
  services(timeoutMs = LIST_TIMEOUT_MS): Promise<string[]> {
    const q = this.nextQ++;
    return new Promise((resolve, reject) => {
      let sends = 0;
      let timer: TimerHandle | undefined;
      const ask = (): void => {
        if (sends * OPEN_RTO_MS * 2 >= timeoutMs) {
          this.lists.delete(q);
          reject(new StreamRefused(`the home did not answer the service list${OLDER_HOME}`));
          return;
        }
        sends++;
        this.sendControl({ t: 'ls', q });
        timer = this.o.clock.setTimer(OPEN_RTO_MS * 2, ask);
      };
      this.lists.set(q, (names) => {
        timer?.cancel();
        this.lists.delete(q);
        resolve(names);
      });
      ask();
    });
  }

  protected onControl(c: Control): void {
    if (c.t === 'ok') {
      if (c.d === 1) this.allowDirect(c.s);
      this.settle(c.s);
    } else if (c.t === 'no') {
      const err = new StreamRefused(c.e);
      if (this.pending.has(c.s)) this.settle(c.s, err);
      else this.live.get(c.s)?.destroy(err);
    } else if (c.t === 'svc') this.lists.get(c.q)?.(c.names);
  }

  get openStreams(): number {
    return this.live.size;
  }

  close(): void {
    if (this.closed) return;
    for (const id of [...this.pending.keys()])
      this.settle(id, new StreamRefused('the connection closed'));
    for (const s of this.live.values()) s.destroy();
    this.closed = true;
    this.stopRouting();
    this.link.close();
  }
}

// --- home -----------------------------------------------------------------------------------

export type StreamVerdict = { ok: true; connect(): Socket } | { ok: false; reason: string };

export interface HomeStreamsOptions extends StreamMuxOptions {
  /** May this client open `name`? Then how to reach it (a TCP socket, not yet connected). */
  accept(name: string): StreamVerdict;
  /** The service names this client may use. */
  names(): string[];
  /** A stream ended (for logs and counters). */
  onStreamEnd?(name: string, t: Traffic): void;
}

interface HomeStream {
  name: string;
  udx: SecretStream;
  tcp: Socket | undefined;
}

export class HomeStreams extends StreamMux {
  private readonly streams = new Map<number, HomeStream>();
  constructor(private readonly h: HomeStreamsOptions) {
    super(h);
  }

  protected onControl(c: Control): void {
    if (c.t === 'ls') return this.sendControl({ t: 'svc', q: c.q, names: this.h.names() });
    if (c.t !== 'open') return;
    const id = c.s + 1;
    if (this.streams.has(id)) return this.sendControl({ t: 'ok', s: c.s, d: 1, b: 1 });
    if (usedIds.has(id))
      return this.sendControl({ t: 'no', s: c.s, e: 'stream id busy on the home; open again' });
    if (this.streams.size >= MAX_STREAMS)
      return this.sendControl({ t: 'no', s: c.s, e: `too many open streams (${MAX_STREAMS})` });
    const v = this.h.accept(c.n);
    if (!v.ok) return this.sendControl({ t: 'no', s: c.s, e: v.reason });
    // Off the shim only towards a client that said it takes stream packets on its socket.
    const udx = this.newStream(id, c.s, c.k, false, c.d === 1);
    const hs: HomeStream = { name: c.n, udx, tcp: undefined };
    this.streams.set(id, hs);
    udx.once('close', () => {
      if (this.streams.get(id) === hs) this.streams.delete(id);
    });
    this.sendControl({ t: 'ok', s: c.s, d: 1, b: 1 });
    const tcp = v.connect();
    hs.tcp = tcp;
    let connected = false;
    tcp.once('connect', () => {
      connected = true;
      joinStreams(tcp, udx, (t) => this.h.onStreamEnd?.(c.n, t));
    });
    tcp.once('error', (e) => {
      if (connected) return;
      this.sendControl({ t: 'no', s: c.s, e: `service ${c.n} is not reachable: ${e.message}` });
      udx.destroy();
    });
  }

  get openStreams(): number {
    return this.streams.size;
  }

  /** Closes the open streams whose service matches (a removed service), at once. */
  closeWhere(match: (name: string) => boolean, reason: string): number {
    let n = 0;
    for (const [id, s] of this.streams) {
      if (!match(s.name)) continue;
      n++;
      this.streams.delete(id);
      this.sendControl({ t: 'no', s: id - 1, e: reason });
      s.tcp?.resetAndDestroy();
      s.udx.destroy();
    }
    return n;
  }

  close(): void {
    if (this.closed) return;
    this.closeWhere(() => true, 'the home closed the connection');
    this.closed = true;
    this.stopRouting();
    this.link.close();
  }
}
