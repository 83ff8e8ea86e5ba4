// The client's connection to a relay, one per relayed session: UDP through the Env (so it runs
// on the virtual network too), or TCP / WebSocket for networks that block UDP (those use
// node:net and ws directly: the Env seam is UDP only). Every incoming byte is decoded at the
// edge; anything that is not a well-formed message from the relay is dropped.
import { connect as tcpConnect, type Socket } from 'node:net';
import { createRequire } from 'node:module';
import type WebSocket from 'ws';
import type { SocketAddr, UdpEndpoint, UdpNet } from '../net/types.js';
import { formatAddr, sameAddr } from '../wire/addr.js';
import { decode, encode, type Message } from '../wire/messages.js';
import { CarrierQueue, frame, FrameDecoder, MAX_FRAME } from './frames.js';
import type { RelayTransportKind } from './transport.js';

export interface RelayLink {
  readonly kind: RelayTransportKind;
  /** For reports: "relay udp 203.0.113.10:7400". */
  readonly remote: string;
  send(msg: Message, padTo?: number): void;
  onMessage(cb: (msg: Message) => void): void;
  /** The transport ended (not called for close()). */
  onClose(cb: (why: string) => void): void;
  close(): void;
}

/** Bytes queued on a stream carrier; over it frames are dropped (CarrierQueue). */
const MAX_QUEUED = 256 * 1024;
/** Over MAX_QUEUED this long without draining: the relay is not reading (ms). */
const STUCK_MS = 10_000;

abstract class BaseLink implements RelayLink {
  abstract readonly kind: RelayTransportKind;
  abstract readonly remote: string;
  protected msgCb: (msg: Message) => void = () => {};
  protected closeCb: (why: string) => void = () => {};
  protected ended = false;
  protected readonly carrier = new CarrierQueue(MAX_QUEUED, STUCK_MS);
  abstract send(msg: Message, padTo?: number): void;
  abstract close(): void;
  onMessage(cb: (msg: Message) => void): void {
    this.msgCb = cb;
  }
  onClose(cb: (why: string) => void): void {
    this.closeCb = cb;
  }
  protected receive(bytes: Uint8Array): void {
    const r = decode(bytes);
    if (r.ok && !this.ended) this.msgCb(r.msg);
  }
  protected lost(why: string): void {
    if (this.ended) return;
    this.ended = true;
    this.closeCb(why);
  }
}

export class UdpLink extends BaseLink {
  readonly kind = 'udp' as const;
  readonly remote: string;
  private readonly ep: UdpEndpoint;
  constructor(
    net: UdpNet,
    private readonly relay: SocketAddr,
  ) {
    super();
    this.remote = `relay udp ${formatAddr(relay)}`;
    this.ep = net.open();
    this.ep.onDatagram((d, from) => {
      if (sameAddr(from, relay)) this.receive(d);
    });
    this.ep.onError((e) => this.lost(e.message));
  }
  send(msg: Message, padTo?: number): void {
    this.ep.send(encode(msg, padTo), this.relay);
  }
  close(): void {
    this.ended = true;
    this.ep.close();
  }
}

export class TcpLink extends BaseLink {
  readonly kind = 'tcp' as const;
  readonly remote: string;
  private readonly sock: Socket;
  constructor(relay: SocketAddr) {
    super();
    this.remote = `relay tcp ${formatAddr(relay)}`;
    const decoder = new FrameDecoder(MAX_FRAME);
    this.sock = tcpConnect({ host: relay.ip, port: relay.port, noDelay: true });
    this.sock.on('data', (chunk) => {
      const r = decoder.push(chunk);
      if ('error' in r) return this.fail(r.error);
      for (const f of r.frames) this.receive(f);
    });
    this.sock.on('error', (e) => this.lost(e.message));
    this.sock.on('close', () => this.lost('connection closed'));
  }
  send(msg: Message, padTo?: number): void {
    if (this.ended) return;
    const q = this.carrier.check(this.sock.writableLength);
    if (q === 'stuck') return this.fail('relay not reading');
    if (q === 'drop') return;
    this.sock.write(frame(encode(msg, padTo)));
  }
  private fail(why: string): void {
    this.lost(why);
    this.sock.destroy();
  }
  close(): void {
    this.ended = true;
    this.sock.destroy();
  }
}

export class WsLink extends BaseLink {
  readonly kind = 'ws' as const;
  readonly remote: string;
  private readonly ws: WebSocket;
  private readonly queue: Uint8Array[] = [];
  /** `url`: e.g. "ws://203.0.113.10:443/porthole". */
  constructor(url: string) {
    super();
    const u = new URL(url);
    this.remote = `relay ws ${u.host}`;
    // `ws` loads with the first WebSocket link, not with every client.
    const Ws = createRequire(import.meta.url)('ws') as typeof WebSocket;
    this.ws = new Ws(url, { maxPayload: MAX_FRAME, perMessageDeflate: false });
    this.ws.binaryType = 'nodebuffer';
    this.ws.on('open', () => {
      for (const b of this.queue.splice(0)) this.ws.send(b);
    });
    this.ws.on('message', (data, isBinary) => {
      if (isBinary && Buffer.isBuffer(data)) this.receive(data);
    });
    this.ws.on('error', (e) => this.lost(e.message));
    this.ws.on('close', () => this.lost('connection closed'));
  }
  send(msg: Message, padTo?: number): void {
    if (this.ended) return;
    const bytes = encode(msg, padTo);
    if (this.ws.readyState === this.ws.CONNECTING) {
      if (this.queue.length < 16) this.queue.push(bytes);
      return;
    }
    const q = this.carrier.check(this.ws.bufferedAmount);
    if (q === 'drop') return;
    if (q === 'stuck') {
      this.lost('relay not reading');
      return this.ws.terminate();
    }
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(bytes);
  }
  close(): void {
    this.ended = true;
    this.ws.terminate();
  }
}
