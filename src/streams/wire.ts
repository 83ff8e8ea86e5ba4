// The stream layer's frames inside the live (Noise-encrypted) channel, beside the RPC's JSON:
//   0xF5 | UDX packet          either way: one datagram of the stream transport (docs/streams.md)
//   0xF6 | control (JSON)      either way: open / ok / no / ls / svc
//   0xF7 | (u16 length | UDX packet)+   either way, to a peer that said `b: 1`: several small UDX
//                              packets (acks) in one frame — one seal and one datagram on the
//                              path (and through the relay) instead of one each (session 21)
// The RPC's frames are JSON objects (first byte '{'), so the first byte tells them apart.
import type { MessageChannel } from '../net/channel.js';

export const UDX_FRAME = 0xf5;
export const CONTROL_FRAME = 0xf6;
export const UDX_BATCH_FRAME = 0xf7;
/** Of a batch frame: each packet's length before it. */
const BATCH_LEN_BYTES = 2;
/** A control frame's JSON stays within one RPC-sized frame. */
export const MAX_CONTROL = 1000;
/** Service names: what `home serve NAME=HOST:PORT` accepts. */
export const SERVICE_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;
/** Client stream ids are odd, the home's end of the same stream is id + 1 (one UDX per session). */
export const MAX_STREAM_ID = 2 ** 31 - 2;
/** A stream's key in `open`: 32 bytes, base64url without padding. */
export const STREAM_KEY = /^[A-Za-z0-9_-]{43}$/;

export type Control =
  /**
   * client → home: open a stream to service `n`; the client's UDX end is `s`, the home's s + 1;
   * `k` (32 random bytes, base64url) keys the stream's own encryption (streams/secure.ts).
   */
  | { t: 'open'; s: number; n: string; k: string; d?: 1; b?: 1 }
  /**
   * home → client: stream `s` is accepted (the home's end is connected). `d: 1` in `open` and in
   * `ok` (session 20): this end takes the stream's UDX packets on its punched socket, not only
   * through the channel; an older end omits it (and ignores it), and the stream stays on the shim.
   * `b: 1` (session 21, in both): this end reads batch frames (0xF7); only then are they sent.
   */
  | { t: 'ok'; s: number; d?: 1; b?: 1 }
  /** home → client: stream `s` is refused or closed, and why. */
  | { t: 'no'; s: number; e: string }
  /** client → home: which services may I use? */
  | { t: 'ls'; q: number }
  /** home → client: the services this client may use. */
  | { t: 'svc'; q: number; names: string[] };

const isStreamId = (v: unknown): v is number =>
  Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_STREAM_ID;
const isQ = (v: unknown): v is number =>
  Number.isInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 31;

/** The capability flags of open and ok: present only as 1. */
const flags = (r: Record<string, unknown>): { d?: 1; b?: 1 } => ({
  ...(r.d === 1 ? { d: 1 as const } : {}),
  ...(r.b === 1 ? { b: 1 as const } : {}),
});

/** Room a packet takes in a batch frame. */
export const batchEntrySize = (packetLength: number): number => BATCH_LEN_BYTES + packetLength;

/** One batch frame: the kind byte, then each packet after its length. */
export function encodeBatch(packets: Uint8Array[]): Buffer {
  const out = Buffer.allocUnsafe(1 + packets.reduce((n, p) => n + batchEntrySize(p.length), 0));
  out[0] = UDX_BATCH_FRAME;
  let at = 1;
  for (const p of packets) {
    out.writeUInt16BE(p.length, at);
    out.set(p, at + BATCH_LEN_BYTES);
    at += batchEntrySize(p.length);
  }
  return out;
}

/** Untrusted bytes (after the kind byte) → the packets, or undefined when malformed or empty. */
export function decodeBatch(data: Uint8Array): Uint8Array[] | undefined {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < data.length) {
    if (at + BATCH_LEN_BYTES > data.length) return undefined;
    const len = ((data[at] as number) << 8) | (data[at + 1] as number);
    at += BATCH_LEN_BYTES;
    if (len === 0 || at + len > data.length) return undefined;
    out.push(data.subarray(at, at + len));
    at += len;
  }
  return out.length > 0 ? out : undefined;
}

export function encodeControl(c: Control): Uint8Array {
  const body = Buffer.from(JSON.stringify(c));
  if (body.length > MAX_CONTROL) throw new RangeError(`stream control of ${body.length} bytes`);
  return Buffer.concat([Buffer.from([CONTROL_FRAME]), body]);
}

/** Untrusted bytes (after the kind byte) → a typed control message, or undefined. */
export function decodeControl(data: Uint8Array): Control | undefined {
  if (data.length > MAX_CONTROL) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const r = v as Record<string, unknown>;
  switch (r.t) {
    case 'open':
      return isStreamId(r.s) &&
        r.s % 2 === 1 &&
        typeof r.n === 'string' &&
        SERVICE_NAME.test(r.n) &&
        typeof r.k === 'string' &&
        STREAM_KEY.test(r.k)
        ? { t: 'open', s: r.s, n: r.n, k: r.k, ...flags(r) }
        : undefined;
    case 'ok':
      return isStreamId(r.s) ? { t: 'ok', s: r.s, ...flags(r) } : undefined;
    case 'no':
      return isStreamId(r.s) && typeof r.e === 'string'
        ? { t: 'no', s: r.s, e: r.e.slice(0, 300) }
        : undefined;
    case 'ls':
      return isQ(r.q) ? { t: 'ls', q: r.q } : undefined;
    case 'svc':
      return isQ(r.q) &&
        Array.isArray(r.names) &&
        r.names.length <= 64 &&
        r.names.every((n) => typeof n === 'string' && SERVICE_NAME.test(n))
        ? { t: 'svc', q: r.q, names: r.names as string[] }
        : undefined;
    default:
      return undefined;
  }
}

/**
 * Splits one channel into the application's (RPC) frames and the stream layer's: each side sees
 * only its own. Sending is shared; closing either closes the channel.
 */
export function splitChannel(ch: MessageChannel): { app: MessageChannel; streams: MessageChannel } {
  const isStream = (d: Uint8Array): boolean =>
    d[0] === UDX_FRAME || d[0] === CONTROL_FRAME || d[0] === UDX_BATCH_FRAME;
  const appCbs: Array<(d: Uint8Array) => void> = [];
  const streamCbs: Array<(d: Uint8Array) => void> = [];
  ch.onMessage((d) => {
    for (const cb of isStream(d) ? streamCbs : appCbs) cb(d);
  });
  const side = (cbs: Array<(d: Uint8Array) => void>): MessageChannel => ({
    send: (d) => ch.send(d),
    onMessage: (cb) => void cbs.push(cb),
    close: () => ch.close(),
  });
  return { app: side(appCbs), streams: side(streamCbs) };
}
