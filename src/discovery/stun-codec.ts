// STUN messages (RFC 8489) with the RFC 5780 NAT-behaviour-discovery attributes: just what a
// Binding server and client need. Untrusted bytes become a typed message or a reason, never an
// exception: lengths, alignment, the magic cookie, address families and FINGERPRINT are checked.
import { crc32 } from 'node:zlib';
import { isIPv4, isIPv6 } from 'node:net';
import type { SocketAddr } from '../net/types.js';
import { compressV6, expandV6 } from '../wire/codec.js';

export const MAGIC_COOKIE = 0x2112a442;
export const BINDING = 0x001;
export const HEADER = 20;
/** Bigger than any Binding needs, room for a client's 1,500-byte PADDING (RFC 5780 §7.6). */
export const MAX_STUN = 2048;
const MAX_TEXT = 763; // SOFTWARE and reason phrases (RFC 8489 §14.9, §14.8)
const FINGERPRINT_XOR = 0x5354554e;

export const ATTR = {
  MAPPED_ADDRESS: 0x0001,
  CHANGE_REQUEST: 0x0003,
  ERROR_CODE: 0x0009,
  UNKNOWN_ATTRIBUTES: 0x000a,
  XOR_MAPPED_ADDRESS: 0x0020,
  PADDING: 0x0026,
  RESPONSE_PORT: 0x0027,
  SOFTWARE: 0x8022,
  FINGERPRINT: 0x8028,
  RESPONSE_ORIGIN: 0x802b,
  OTHER_ADDRESS: 0x802c,
} as const;

export type StunClass = 'request' | 'indication' | 'success' | 'error';
const CLASS_BITS: Record<StunClass, number> = {
  request: 0x000,
  indication: 0x010,
  success: 0x100,
  error: 0x110,
};

export interface StunMessage {
  readonly cls: StunClass;
  readonly method: number;
  /** 12 bytes. */
  readonly txId: Uint8Array;
  readonly mapped?: SocketAddr;
  readonly xorMapped?: SocketAddr;
  readonly responseOrigin?: SocketAddr;
  readonly otherAddress?: SocketAddr;
  readonly changeRequest?: { readonly ip: boolean; readonly port: boolean };
  readonly responsePort?: number;
  readonly error?: { readonly code: number; readonly reason: string };
  readonly unknownAttributes?: readonly number[];
  readonly software?: string;
  /** Length of a PADDING attribute's value. */
  readonly padding?: number;
  /** Decode: comprehension-required types (< 0x8000) this codec does not know. */
  readonly unknownRequired?: readonly number[];
  /** Decode: a valid FINGERPRINT was present. Encode: append one. */
  readonly fingerprint?: boolean;
}

export type StunDecode = { ok: true; msg: StunMessage } | { ok: false; reason: string };

/** STUN or not, from the first bytes alone (RFC 8489 §6, RFC 7983 demultiplexing). */
export function isStun(b: Uint8Array): boolean {
  return (
    b.length >= HEADER &&
    ((b[0] as number) & 0xc0) === 0 &&
    readU32(b, 4) === MAGIC_COOKIE &&
    (((b[2] as number) << 8) | (b[3] as number)) % 4 === 0
  );
}

export function decodeStun(b: Uint8Array): StunDecode {
  if (b.length < HEADER) return fail('shorter than a STUN header');
  if (b.length > MAX_STUN) return fail(`longer than ${MAX_STUN} bytes`);
  if (!isStun(b)) return fail('not STUN (top bits or magic cookie)');
  const type = readU16(b, 0);
  const length = readU16(b, 2);
  if (HEADER + length !== b.length) return fail(`length ${length} != ${b.length - HEADER} bytes`);
  const clsBits = type & 0x110;
  const cls = (Object.keys(CLASS_BITS) as StunClass[]).find((c) => CLASS_BITS[c] === clsBits);
  const method = (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
  // Copies, never views: a Buffer's slice() shares memory, and the datagram must stay intact.
  const txId = new Uint8Array(b.subarray(8, 20));
  const m: { -readonly [K in keyof StunMessage]: StunMessage[K] } = { cls: cls!, method, txId };
  const unknown: number[] = [];
  for (let off = HEADER; off < b.length;) {
    if (off + 4 > b.length) return fail('truncated attribute header');
    const at = readU16(b, off);
    const len = readU16(b, off + 2);
    const v = b.subarray(off + 4, off + 4 + len);
    if (v.length !== len) return fail(`attribute 0x${at.toString(16)} overruns the message`);
    const next = off + 4 + ((len + 3) & ~3);
    if (next > b.length) return fail('attribute padding overruns the message');
    if (m.fingerprint) return fail('attribute after FINGERPRINT');
    const bad = (what: string): StunDecode => fail(`bad ${what} (0x${at.toString(16)})`);
    switch (at) {
      case ATTR.MAPPED_ADDRESS:
      case ATTR.XOR_MAPPED_ADDRESS:
      case ATTR.RESPONSE_ORIGIN:
      case ATTR.OTHER_ADDRESS: {
        const a = readAddr(v, at === ATTR.XOR_MAPPED_ADDRESS ? txId : undefined);
        if (!a) return bad('address');
        if (at === ATTR.MAPPED_ADDRESS) m.mapped ??= a;
        else if (at === ATTR.XOR_MAPPED_ADDRESS) m.xorMapped ??= a;
        else if (at === ATTR.RESPONSE_ORIGIN) m.responseOrigin ??= a;
        else m.otherAddress ??= a;
        break;
      }
      case ATTR.CHANGE_REQUEST: {
        if (len !== 4) return bad('CHANGE-REQUEST');
        const flags = readU32(v, 0);
        m.changeRequest = { ip: (flags & 4) !== 0, port: (flags & 2) !== 0 };
        break;
      }
      case ATTR.RESPONSE_PORT:
        if (len !== 4) return bad('RESPONSE-PORT');
        m.responsePort = readU16(v, 0);
        break;
      case ATTR.ERROR_CODE: {
        if (len < 4 || len > 4 + MAX_TEXT) return bad('ERROR-CODE');
        const cls3 = (v[2] as number) & 7;
        const num = v[3] as number;
        if (cls3 < 3 || cls3 > 6 || num > 99) return bad('ERROR-CODE');
        m.error = { code: cls3 * 100 + num, reason: utf8(v.subarray(4)) };
        break;
      }
      case ATTR.UNKNOWN_ATTRIBUTES: {
        if (len % 2 !== 0) return bad('UNKNOWN-ATTRIBUTES');
        const list: number[] = [];
        for (let i = 0; i < len; i += 2) list.push(readU16(v, i));
        m.unknownAttributes = list;
        break;
      }
      case ATTR.SOFTWARE:
        if (len > MAX_TEXT) return bad('SOFTWARE');
        m.software = utf8(v);
        break;
      case ATTR.PADDING:
        m.padding = len;
        break;
      case ATTR.FINGERPRINT:
        if (len !== 4) return bad('FINGERPRINT');
        if (readU32(v, 0) !== fingerprintOf(b.subarray(0, off)))
          return fail('FINGERPRINT mismatch');
        m.fingerprint = true;
        break;
      default:
        if (at < 0x8000 && unknown.length < 16) unknown.push(at);
    }
    off = next;
  }
  if (unknown.length > 0) m.unknownRequired = unknown;
  return { ok: true, msg: m };
}

/** Encodes `m` (attributes in a fixed order; FINGERPRINT last when asked for). */
export function encodeStun(m: StunMessage): Uint8Array {
  if (m.txId.length !== 12) throw new RangeError('STUN transaction id must be 12 bytes');
  const parts: Uint8Array[] = [];
  const attr = (type: number, value: Uint8Array): void => {
    const a = new Uint8Array(4 + ((value.length + 3) & ~3));
    writeU16(a, 0, type);
    writeU16(a, 2, value.length);
    a.set(value, 4);
    parts.push(a);
  };
  if (m.mapped) attr(ATTR.MAPPED_ADDRESS, addrValue(m.mapped));
  if (m.xorMapped) attr(ATTR.XOR_MAPPED_ADDRESS, addrValue(m.xorMapped, m.txId));
  if (m.responseOrigin) attr(ATTR.RESPONSE_ORIGIN, addrValue(m.responseOrigin));
  if (m.otherAddress) attr(ATTR.OTHER_ADDRESS, addrValue(m.otherAddress));
  if (m.changeRequest) {
    const flags = (m.changeRequest.ip ? 4 : 0) | (m.changeRequest.port ? 2 : 0);
    attr(ATTR.CHANGE_REQUEST, u32Bytes(flags));
  }
  if (m.responsePort !== undefined) attr(ATTR.RESPONSE_PORT, u32Bytes(m.responsePort << 16));
  if (m.error) {
    const reason = clip(m.error.reason);
    const v = new Uint8Array(4 + reason.length);
    v[2] = Math.floor(m.error.code / 100) & 7;
    v[3] = m.error.code % 100;
    v.set(reason, 4);
    attr(ATTR.ERROR_CODE, v);
  }
  if (m.unknownAttributes) {
    const v = new Uint8Array(2 * m.unknownAttributes.length);
    m.unknownAttributes.forEach((t, i) => writeU16(v, 2 * i, t));
    attr(ATTR.UNKNOWN_ATTRIBUTES, v);
  }
  if (m.software !== undefined) attr(ATTR.SOFTWARE, clip(m.software));
  if (m.padding) attr(ATTR.PADDING, new Uint8Array(Math.min(m.padding, MAX_STUN / 2)));
  const bodyLen = parts.reduce((n, p) => n + p.length, 0) + (m.fingerprint ? 8 : 0);
  const out = new Uint8Array(HEADER + bodyLen);
  const method = m.method & 0xfff;
  writeU16(
    out,
    0,
    (method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) | CLASS_BITS[m.cls],
  );
  writeU16(out, 2, bodyLen);
  writeU32(out, 4, MAGIC_COOKIE);
  out.set(m.txId, 8);
  let off = HEADER;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  if (m.fingerprint) {
    writeU16(out, off, ATTR.FINGERPRINT);
    writeU16(out, off + 2, 4);
    writeU32(out, off + 4, fingerprintOf(out.subarray(0, off)));
  }
  return out;
}

/** CRC-32 of everything before the FINGERPRINT attribute, xor "STUN" (RFC 8489 §14.7). */
function fingerprintOf(before: Uint8Array): number {
  return (crc32(before) ^ FINGERPRINT_XOR) >>> 0;
}

// --- addresses (RFC 8489 §14.1, §14.2) ------------------------------------------------------

function readAddr(v: Uint8Array, xorTx: Uint8Array | undefined): SocketAddr | undefined {
  const family = v[1];
  const want = family === 1 ? 8 : family === 2 ? 20 : -1;
  if (v.length !== want || v[0] !== 0) return undefined;
  const port = readU16(v, 2) ^ (xorTx ? MAGIC_COOKIE >>> 16 : 0);
  const raw = new Uint8Array(v.subarray(4));
  if (xorTx) xorIp(raw, xorTx);
  if (family === 1) return { ip: raw.join('.'), port };
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(readU16(raw, i).toString(16));
  return { ip: compressV6(groups), port };
}

function addrValue(a: SocketAddr, xorTx?: Uint8Array): Uint8Array {
  let raw: Uint8Array;
  if (isIPv4(a.ip)) raw = Uint8Array.from(a.ip.split('.').map(Number));
  else if (isIPv6(a.ip)) {
    raw = new Uint8Array(16);
    expandV6(a.ip).forEach((g, i) => writeU16(raw, 2 * i, g));
  } else throw new RangeError(`not an IP address: ${a.ip}`);
  if (xorTx) xorIp(raw, xorTx);
  const v = new Uint8Array(4 + raw.length);
  v[1] = raw.length === 4 ? 1 : 2;
  writeU16(v, 2, a.port ^ (xorTx ? MAGIC_COOKIE >>> 16 : 0));
  v.set(raw, 4);
  return v;
}

/** XOR with the magic cookie, then (IPv6) the transaction id. */
function xorIp(raw: Uint8Array, txId: Uint8Array): void {
  const key = new Uint8Array(16);
  writeU32(key, 0, MAGIC_COOKIE);
  key.set(txId, 4);
  for (let i = 0; i < raw.length; i++) raw[i] = (raw[i] as number) ^ (key[i] as number);
}

// --- bytes ----------------------------------------------------------------------------------

const readU16 = (b: Uint8Array, o: number): number =>
  ((b[o] as number) << 8) | (b[o + 1] as number);
const readU32 = (b: Uint8Array, o: number): number => readU16(b, o) * 0x10000 + readU16(b, o + 2);
function writeU16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}
function writeU32(b: Uint8Array, o: number, v: number): void {
  writeU16(b, o, Math.floor(v / 0x10000) & 0xffff);
  writeU16(b, o + 2, v & 0xffff);
}
function u32Bytes(v: number): Uint8Array {
  const b = new Uint8Array(4);
  writeU32(b, 0, v >>> 0);
  return b;
}
const utf8 = (b: Uint8Array): string => new TextDecoder('utf-8', { fatal: false }).decode(b);
const clip = (s: string): Uint8Array => new TextEncoder().encode(s).slice(0, MAX_TEXT);
const fail = (reason: string): StunDecode => ({ ok: false, reason });
