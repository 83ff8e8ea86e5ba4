// Length-prefixed frames for the TCP transport: u16 big-endian length | one encoded message.
// The decoder holds at most one partial frame (≤ maxFrame + 2 bytes) and refuses a length over
// maxFrame before reading it, so a peer cannot make it buffer more than that.
import { MAX_RELAY_DATAGRAM } from '../wire/messages.js';

/** The largest message a stream carries: the largest relayData (docs/seams.md §8). */
export const MAX_FRAME = MAX_RELAY_DATAGRAM;

export function frame(msg: Uint8Array): Uint8Array {
  if (msg.length > 0xffff) throw new RangeError('frame too large');
  const out = new Uint8Array(2 + msg.length);
  out[0] = msg.length >>> 8;
  out[1] = msg.length & 0xff;
  out.set(msg, 2);
  return out;
}

export class FrameDecoder {
  private buf: Uint8Array = new Uint8Array(0);

  constructor(private readonly maxFrame = MAX_FRAME) {}

  /**
   * Appends stream bytes; returns the complete frames, or an error string when the peer sent a
   * frame longer than allowed (the caller closes the stream: framing is lost).
   */
  push(chunk: Uint8Array): { frames: Uint8Array[] } | { error: string } {
    const data = this.buf.length ? concat(this.buf, chunk) : chunk;
    const frames: Uint8Array[] = [];
    let off = 0;
    while (data.length - off >= 2) {
      const len = ((data[off] as number) << 8) | (data[off + 1] as number);
      if (len > this.maxFrame) return { error: `frame of ${len} bytes over ${this.maxFrame}` };
      if (data.length - off - 2 < len) break;
      frames.push(data.slice(off + 2, off + 2 + len));
      off += 2 + len;
    }
    this.buf = data.slice(off);
    return { frames };
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * The queue of a stream carrier (TCP, WebSocket) towards its reader. Over `maxBytes` a frame is
 * dropped, as a full router queue would drop a datagram: the stream layer above (UDX) sees loss
 * and slows, and the carrier's own retransmissions (a lossy link under TCP) do not cost the
 * session. Only a reader that stays over it for `stuckMs` straight is stuck (cut off). Until
 * session 19 any frame over the limit cut the connection off: 100 parallel streams over a TCP
 * relay at 30 ms RTT did that within seconds, and every stream stalled while the session
 * reconnected.
 */
export class CarrierQueue {
  private overSince: number | undefined;
  constructor(
    private readonly maxBytes: number,
    private readonly stuckMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** For a frame about to be written while `buffered` bytes wait. */
  check(buffered: number): 'send' | 'drop' | 'stuck' {
    if (buffered <= this.maxBytes) {
      this.overSince = undefined;
      return 'send';
    }
    const t = this.now();
    this.overSince ??= t;
    return t - this.overSince >= this.stuckMs ? 'stuck' : 'drop';
  }
}
