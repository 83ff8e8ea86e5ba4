// UDX over the live channel (docs/streams.md): a UDX socket bound to 127.0.0.1 and a loopback
// shim socket beside it. UDX sends its packets to the shim, which hands each one to the channel
// as a stream frame (0xF5 | packet: sealed by the Noise session, carried by whatever Path is
// current — punched or relayed); frames from the peer are injected into the UDX socket from the
// shim's address. UDX never sees the path, so a path switch is invisible to it.
import { createSocket, type Socket } from 'node:dgram';
import type UDX from 'udx-native';
import type { UDXSocket } from 'udx-native';
import { isOwnUdxSource, sharedUdx } from '../net/udx-udp.js';
import { batchEntrySize, encodeBatch, UDX_FRAME } from './wire.js';

const LOOPBACK = '127.0.0.1';
/**
 * Kernel buffers of both loopback sockets. At the default (~208 KiB) a burst of many streams
 * overflowed them: the kernel dropped UDX packets on the loopback leg (Udp RcvbufErrors), UDX
 * backed its retransmission timer off and streams stalled, then timed out. Linux caps a request
 * at net.core.rmem_max / wmem_max; the memory is only used while a burst is queued.
 */
export const LOOPBACK_BUFFER = 4 * 1024 * 1024;

/**
 * UDX packets up to this size (its acks: 20-104 bytes) wait for the end of the event loop's turn
 * and go out together in one batch frame, when the peer reads them (`b: 1`). Every data packet
 * is acked by one packet of its own, so on a relayed path half the datagrams were acks, each
 * sealed, sent, relayed and opened alone (docs/streams.md, "Acks in batches").
 */
const BATCH_MAX_PACKET = 256;

export interface UdxLinkStats {
  /** UDX packets sent to the peer / received from it. */
  packetsOut: number;
  packetsIn: number;
  /** Packets too large for a frame on this path (UDX's MTU probes above it): dropped. */
  oversize: number;
  /** The largest UDX packet sent / received (a frame is one byte more; sealed, 21 more). */
  largestOut: number;
  largestIn: number;
  /** Of the streams closed on this link: packets UDX resent, and its retransmission timeouts. */
  retransmits: number;
  rtos: number;
  /** Streams ended because their bytes did not verify (packets injected on the loopback leg). */
  rejected: number;
  /** Batch frames sent (each carrying two or more UDX packets). */
  batches: number;
}

export class UdxLink {
  /** The process's one UDX instance: a stream moves only between sockets of its instance. */
  readonly udx: UDX = sharedUdx();
  readonly socket: UDXSocket;
  private readonly shim: Socket;
  private shimPort = 0;
  private readonly udxPort: number;
  private closed = false;
  readonly ready: Promise<void>;
  readonly stats: UdxLinkStats = {
    packetsOut: 0,
    packetsIn: 0,
    oversize: 0,
    largestOut: 0,
    largestIn: 0,
    retransmits: 0,
    rtos: 0,
    rejected: 0,
    batches: 0,
  };
  /** The peer reads batch frames (it said `b: 1`): small packets may share one. */
  peerBatches = false;
  private batch: Buffer[] = [];
  private batchBytes = 1;
  private flushing: ReturnType<typeof setImmediate> | undefined;

  /**
   * `send` puts one frame on the channel; `maxFrame` is the largest plaintext the channel's
   * current path carries (a larger UDX packet is dropped: UDX's MTU probing backs off).
   */
  constructor(
    private readonly send: (frame: Uint8Array) => void,
    private readonly maxFrame: () => number,
  ) {
    this.socket = this.udx.createSocket();
    this.socket.bind(0, LOOPBACK);
    this.udxPort = this.socket.address().port;
    this.socket.setRecvBufferSize(LOOPBACK_BUFFER);
    this.socket.setSendBufferSize(LOOPBACK_BUFFER);
    this.shim = createSocket({
      type: 'udp4',
      recvBufferSize: LOOPBACK_BUFFER,
      sendBufferSize: LOOPBACK_BUFFER,
    });
    this.shim.on('message', (pkt, from) => this.fromUdx(pkt, from.port, from.address));
    this.shim.on('error', () => {}); // a send to a closing UDX socket; UDX retransmits
    this.ready = new Promise((resolve, reject) => {
      this.shim.once('error', reject);
      // Not connected to UDX's port: a stream that just moved onto the punched socket sends its
      // next packet from there to the shim (libudx moves the socket at once, the address once
      // the old remote acked); a connected shim had the kernel drop it, and the stream timed out
      // (a `client pipe` under load). fromUdx takes this process's UDX sockets only.
      this.shim.bind(0, LOOPBACK, () => {
        this.shimPort = this.shim.address().port;
        resolve();
      });
    });
  }

  /** Where a UDX stream on this link connects: the shim stands for the peer. */
  get remotePort(): number {
    return this.shimPort;
  }

  /** Did (socket, port, host) come from this link's shim (the peer's packets, from the channel)? */
  fromShim(socket: UDXSocket, port: number, host: string): boolean {
    return socket === this.socket && port === this.shimPort && host === LOOPBACK;
  }

  private fromUdx(pkt: Buffer, port: number, host: string): void {
    if (this.closed) return;
    if (!(port === this.udxPort && host === LOOPBACK) && !isOwnUdxSource(host, port)) return;
    if (pkt.length + 1 > this.maxFrame()) {
      this.stats.oversize++;
      return;
    }
    this.stats.packetsOut++;
    if (pkt.length > this.stats.largestOut) this.stats.largestOut = pkt.length;
    if (this.peerBatches && pkt.length <= BATCH_MAX_PACKET) {
      if (this.batchBytes + batchEntrySize(pkt.length) > this.maxFrame()) this.flush();
      this.batch.push(pkt);
      this.batchBytes += batchEntrySize(pkt.length);
      this.flushing ??= setImmediate(() => this.flush());
      return;
    }
    this.flush(); // what waited goes first: the packets leave in the order UDX sent them
    this.sendOne(pkt);
  }

  private sendOne(pkt: Uint8Array): void {
    const frame = Buffer.allocUnsafe(pkt.length + 1);
    frame[0] = UDX_FRAME;
    frame.set(pkt, 1);
    this.put(frame);
  }

  /** Sends the packets that wait: one alone as usual, several in one batch frame. */
  private flush(): void {
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = undefined;
    const pkts = this.batch;
    const size = this.batchBytes;
    if (pkts.length === 0) return;
    this.batch = [];
    this.batchBytes = 1;
    if (this.closed) return;
    // (The path may have shrunk since they were queued: then each goes alone.)
    if (pkts.length === 1 || size > this.maxFrame()) {
      for (const p of pkts) this.sendOne(p);
      return;
    }
    this.stats.batches++;
    this.put(encodeBatch(pkts));
  }

  private put(frame: Uint8Array): void {
    try {
      this.send(frame);
    } catch {
      this.stats.oversize++; // the path refused the size: as lost
    }
  }

  /** A stream frame's packet (after the kind byte) from the peer. */
  inject(pkt: Uint8Array): void {
    if (this.closed || this.shimPort === 0) return;
    this.stats.packetsIn++;
    if (pkt.length > this.stats.largestIn) this.stats.largestIn = pkt.length;
    this.shim.send(pkt, this.udxPort, LOOPBACK);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.flushing) clearImmediate(this.flushing);
    this.batch = [];
    this.shim.close();
    this.socket.close().catch(() => {});
  }
}
