// Bounds-checked binary reader/writer for the datagram formats. Every read checks the remaining
// length and throws DecodeError, which the message decoder turns into a typed result; nothing
// here ever reads past the buffer or allocates more than the datagram holds.
import type { SocketAddr } from './socket-addr.js';
import { fromLatin1, latin1 } from './bytes.js';
import { isIPv4, isIPv6 } from './ip.js';

export class DecodeError extends Error {
  override name = 'DecodeError';
}

export class Reader {
  private off = 0;
  constructor(private readonly buf: Uint8Array) {}

  get remaining(): number {
    return this.buf.length - this.off;
  }

  private need(n: number): void {
    if (this.remaining < n)
      throw new DecodeError(`truncated: need ${n} bytes at offset ${this.off}`);
  }

  /** The next byte without consuming it (undefined at the end). */
  peek(): number | undefined {
    return this.buf[this.off];
  }

  u8(): number {
    this.need(1);
    return this.buf[this.off++] as number;
  }

  u16(): number {
    this.need(2);
    const v = ((this.buf[this.off] as number) << 8) | (this.buf[this.off + 1] as number);
    this.off += 2;
    return v;
  }

  u32(): number {
    return this.u16() * 0x10000 + this.u16();
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const v = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return v;
  }

  /** Length-prefixed (u8) bytes with an upper bound. */
  varBytes(max: number): Uint8Array {
    const n = this.u8();
    if (n > max) throw new DecodeError(`field of ${n} bytes exceeds limit ${max}`);
    return this.bytes(n);
  }

  /** Length-prefixed (u16) bytes with an upper bound. */
  longBytes(max: number): Uint8Array {
    const n = this.u16();
    if (n > max) throw new DecodeError(`field of ${n} bytes exceeds limit ${max}`);
    return this.bytes(n);
  }

  /** u8-length-prefixed printable ASCII string matching a pattern. */
  str(max: number, pattern: RegExp): string {
    const b = this.varBytes(max);
    const s = fromLatin1(b);
    if (!pattern.test(s)) throw new DecodeError('string field has characters outside its alphabet');
    return s;
  }

  addr(): SocketAddr {
    const family = this.u8();
    if (family === 4) {
      const b = this.bytes(4);
      return { ip: `${b[0]}.${b[1]}.${b[2]}.${b[3]}`, port: this.u16() };
    }
    if (family === 6) {
      const b = this.bytes(16);
      const parts: string[] = [];
      // IPv4-mapped (::ffff:a.b.c.d): the dotted spelling a dual-stack node:dgram socket reports.
      if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff)
        return { ip: `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`, port: this.u16() };
      for (let i = 0; i < 16; i += 2)
        parts.push((((b[i] as number) << 8) | (b[i + 1] as number)).toString(16));
      return { ip: compressV6(parts), port: this.u16() };
    }
    throw new DecodeError(`unknown address family ${family}`);
  }

  /** u8 count, then that many addresses; at most `max`. */
  addrList(max: number): SocketAddr[] {
    const n = this.u8();
    if (n > max) throw new DecodeError(`${n} addresses exceed limit ${max}`);
    const out: SocketAddr[] = [];
    for (let i = 0; i < n; i++) out.push(this.addr());
    return out;
  }

  end(): void {
    if (this.remaining !== 0) throw new DecodeError(`${this.remaining} trailing bytes`);
  }
}

export class Writer {
  private buf: Uint8Array;
  private off = 0;
  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  private room(n: number): void {
    if (this.off + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.off + n));
    next.set(this.buf.subarray(0, this.off));
    this.buf = next;
  }

  u8(v: number): this {
    this.room(1);
    this.buf[this.off++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    return this.u8(v >>> 8).u8(v);
  }

  u32(v: number): this {
    return this.u16(Math.floor(v / 0x10000) & 0xffff).u16(v & 0xffff);
  }

  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.off);
    this.off += b.length;
    return this;
  }

  varBytes(b: Uint8Array): this {
    if (b.length > 255) throw new RangeError('varBytes field longer than 255 bytes');
    return this.u8(b.length).bytes(b);
  }

  longBytes(b: Uint8Array): this {
    if (b.length > 65535) throw new RangeError('longBytes field longer than 65535 bytes');
    return this.u16(b.length).bytes(b);
  }

  str(s: string): this {
    return this.varBytes(latin1(s));
  }

  addr(a: SocketAddr): this {
    if (isIPv4(a.ip)) {
      this.u8(4);
      for (const part of a.ip.split('.')) this.u8(Number(part));
    } else if (isIPv6(a.ip)) {
      // A zone (fe80::1%eth0) means nothing to the peer: refuse rather than drop it silently.
      if (a.ip.includes('%')) throw new RangeError(`zoned address cannot be sent: ${a.ip}`);
      this.u8(6);
      for (const group of expandV6(a.ip)) this.u16(group);
    } else {
      throw new RangeError(`not an IP address: ${a.ip}`);
    }
    return this.u16(a.port);
  }

  addrList(list: readonly SocketAddr[]): this {
    if (list.length > 255) throw new RangeError('address list longer than 255');
    this.u8(list.length);
    for (const a of list) this.addr(a);
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.off);
  }
}

export function expandV6(ip: string): number[] {
  // IPv4-mapped tails ("::ffff:1.2.3.4") become two groups.
  let text = ip;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text =
      text.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => parseInt(g, 16));
}

export function compressV6(parts: string[]): string {
  // Longest run of zero groups becomes "::" (RFC 5952), so decoded text matches node's own format.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (parts[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && parts[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return parts.join(':');
  return `${parts.slice(0, best).join(':')}::${parts.slice(best + bestLen).join(':')}`;
}
