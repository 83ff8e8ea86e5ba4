// Every datagram Porthole speaks, as a typed union, with a strict codec.
// Layout: magic "PH" (2) | version (1) | type (1) | fields…  — no trailing bytes allowed.
// decode() never throws: untrusted bytes become either a typed message or a typed error.
import type { SocketAddr } from '../net/types.js';
import {
  CANDIDATE_TYPE_CODES,
  decodeCandidateMessage,
  encodeCandidateMessage,
  type CandidateMessage,
} from './candidates.js';
import { DecodeError, Reader, Writer } from './codec.js';
import { readSession, writeSession } from './session.js';
import { readNat, writeNat, type WireNat } from './nat-ext.js';

export type { WireNat } from './nat-ext.js';
import { decodeRelay, encodeRelay, RELAY_TYPE_CODES, type RelayMessage } from './relay-messages.js';

export const MAGIC0 = 0x50; // 'P'
export const MAGIC1 = 0x48; // 'H'
export const WIRE_VERSION = 1;
/** Largest datagram we send or accept: fits every path MTU without fragmentation. */
export const MAX_DATAGRAM = 1200;
export const MAX_AUTH = 255;
export const MAX_DATA = 1100;
export const MAX_LOCALS = 4;
/** Size every request to the rendezvous is padded to: covers the largest answer (no amplification). */
export const REQUEST_PAD = 128;

export const HOME_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const ERROR_TEXT_PATTERN = /^[\x20-\x7e]{0,200}$/;

/**
 * Who sprays in a round. 'patent': the home sprays ports of the client's IP and the client knocks
 * from many sockets. 'reverse': the client sprays ports of the home's IP and the home knocks from
 * many sockets — the way in when the home's NAT is the symmetric one. 'knock' (both cone): a few
 * packets each way from one socket each. 'predict': like 'patent' or 'reverse' (the side with
 * the sequential allocator is knocked at), predicted ports first (punch/predict.ts).
 * Append only: the index is the wire byte.
 */
export type PunchMode = 'patent' | 'reverse' | 'knock' | 'predict';
const MODES: readonly PunchMode[] = ['patent', 'reverse', 'knock', 'predict'];
function readMode(r: Reader): PunchMode {
  const m = MODES[r.u8()];
  if (!m) throw new DecodeError('unknown punch mode');
  return m;
}

/** 8 random bytes as 16 lowercase hex chars; identifies one traversal attempt. */
export type SessionId = string;
/** 32-bit transaction id matching a reply to its request. */
export type TxId = number;

export enum ErrorCode {
  UnknownHome = 1,
  BadRequest = 2,
  RateLimited = 3,
  Unauthorized = 4,
  Busy = 5,
  /** Both NATs map per destination: no punching method works, a relay is needed (issue 9). */
  NeedsRelay = 6,
}

export type Message =
  /** `locals`: the home's LAN addresses, for clients behind the same public IP (patent step 1). */
  | {
      type: 'register';
      tx: TxId;
      homeId: string;
      locals: SocketAddr[];
      auth: Uint8Array;
      /** The home's NAT class (optional trailing extension, wire/nat-ext.ts). */
      nat?: WireNat;
    }
  | { type: 'registered'; tx: TxId; observed: SocketAddr; ttlMs: number }
  | { type: 'keepalive'; tx: TxId; homeId: string }
  | { type: 'keepaliveAck'; tx: TxId; observed: SocketAddr }
  | {
      type: 'assist';
      tx: TxId;
      homeId: string;
      session: SessionId;
      mode: PunchMode;
      auth: Uint8Array;
      /** The client's NAT class; with it the rendezvous picks the method (punch/strategy.ts). */
      nat?: WireNat;
      /** With `nat`: bit i set = MODES[i] was tried in an earlier round of this connect. */
      tried?: number;
    }
  | { type: 'assistAck'; tx: TxId; session: SessionId; observed: SocketAddr }
  | {
      type: 'peerInfo';
      tx: TxId;
      session: SessionId;
      client: SocketAddr;
      mode: PunchMode;
      auth: Uint8Array;
      /** The client's NAT class, when it sent one. */
      clientNat?: WireNat;
    }
  | { type: 'sprayDone'; tx: TxId; session: SessionId; sprayed: number }
  | { type: 'sprayDoneAck'; tx: TxId; session: SessionId }
  /** `locals` only when client and home share a public IP (they may be on one LAN). */
  | {
      type: 'ready';
      tx: TxId;
      session: SessionId;
      home: SocketAddr;
      locals: SocketAddr[];
      mode: PunchMode;
      /** The home's NAT class, when it sent one. */
      homeNat?: WireNat;
    }
  | { type: 'addrQuery'; tx: TxId; homeId: string }
  | { type: 'addrReply'; tx: TxId; homeId: string; home: SocketAddr }
  | { type: 'probe'; tx: TxId; homeId: string; session: SessionId }
  | { type: 'probeReply'; tx: TxId; session: SessionId }
  | { type: 'punch'; session: SessionId }
  | { type: 'data'; payload: Uint8Array }
  | { type: 'error'; tx: TxId; code: ErrorCode; message: string }
  /** Sent with IP TTL = `ttl`; the rendezvous echoes it, so the lowest echoed ttl is the hop distance. */
  | { type: 'hopProbe'; tx: TxId; ttl: number }
  | { type: 'hopReply'; tx: TxId; ttl: number }
  /** "What address do you see me at?" (like a STUN binding request). */
  | { type: 'observe'; tx: TxId }
  | { type: 'observed'; tx: TxId; addr: SocketAddr }
  /** Home → rendezvous: this assist is refused (unpaired client, bad code…); passed on to the client. */
  | { type: 'refuse'; tx: TxId; session: SessionId; code: ErrorCode; message: string }
  /** Issue 13: mapped and IPv6 candidates, and the mapping check (wire/candidates.ts). */
  | CandidateMessage
  /** Relayed sessions (issue 10): see relay-messages.ts. */
  | RelayMessage;

export type MessageType = Message['type'];
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;

const TYPE_CODES: Record<MessageType, number> = {
  register: 1,
  registered: 2,
  keepalive: 3,
  keepaliveAck: 4,
  assist: 5,
  assistAck: 6,
  peerInfo: 7,
  sprayDone: 8,
  sprayDoneAck: 9,
  ready: 10,
  addrQuery: 11,
  addrReply: 12,
  probe: 13,
  probeReply: 14,
  punch: 15,
  data: 16,
  error: 17,
  hopProbe: 18,
  hopReply: 19,
  observe: 20,
  observed: 21,
  refuse: 22,
  ...CANDIDATE_TYPE_CODES,
  ...RELAY_TYPE_CODES,
};
const TYPE_BY_CODE = new Map<number, MessageType>(
  Object.entries(TYPE_CODES).map(([k, v]) => [v, k as MessageType]),
);

export type DecodeResult = { ok: true; msg: Message } | { ok: false; error: string };

export function isSessionId(s: string): boolean {
  return /^[0-9a-f]{16}$/.test(s);
}

/**
 * Encodes `msg`, padded with zero bytes up to `padTo`. Requests to the rendezvous are padded so
 * that no answer is ever larger than the request that caused it (no amplification).
 */
export function encode(msg: Message, padTo = 0): Uint8Array {
  const w = new Writer(64).u8(MAGIC0).u8(MAGIC1).u8(WIRE_VERSION).u8(TYPE_CODES[msg.type]);
  switch (msg.type) {
    case 'register':
      w.u32(msg.tx).str(msg.homeId).addrList(msg.locals.slice(0, MAX_LOCALS)).varBytes(msg.auth);
      writeNat(w, msg.nat);
      break;
    case 'registered':
      w.u32(msg.tx).addr(msg.observed).u32(msg.ttlMs);
      break;
    case 'keepalive':
      w.u32(msg.tx).str(msg.homeId);
      break;
    case 'keepaliveAck':
      w.u32(msg.tx).addr(msg.observed);
      break;
    case 'assist':
      w.u32(msg.tx).str(msg.homeId);
      writeSession(w, msg.session);
      w.u8(MODES.indexOf(msg.mode)).varBytes(msg.auth);
      writeNat(w, msg.nat);
      if (msg.nat) w.u8((msg.tried ?? 0) & 0xff);
      break;
    case 'assistAck':
      w.u32(msg.tx);
      writeSession(w, msg.session);
      w.addr(msg.observed);
      break;
    case 'peerInfo':
      w.u32(msg.tx);
      writeSession(w, msg.session);
      w.addr(msg.client).u8(MODES.indexOf(msg.mode)).varBytes(msg.auth);
      writeNat(w, msg.clientNat);
      break;
    case 'sprayDone':
      w.u32(msg.tx);
      writeSession(w, msg.session);
      w.u16(msg.sprayed);
      break;
    case 'sprayDoneAck':
    case 'probeReply':
      w.u32(msg.tx);
      writeSession(w, msg.session);
      break;
    case 'ready':
      w.u32(msg.tx);
      writeSession(w, msg.session);
      w.addr(msg.home).addrList(msg.locals.slice(0, MAX_LOCALS)).u8(MODES.indexOf(msg.mode));
      writeNat(w, msg.homeNat);
      break;
    case 'addrQuery':
      w.u32(msg.tx).str(msg.homeId);
      break;
    case 'addrReply':
      w.u32(msg.tx).str(msg.homeId).addr(msg.home);
      break;
    case 'probe':
      w.u32(msg.tx).str(msg.homeId);
      writeSession(w, msg.session);
      break;
    case 'punch':
      writeSession(w, msg.session);
      break;
    case 'data':
      if (msg.payload.length > MAX_DATA)
        throw new RangeError(`data payload over ${MAX_DATA} bytes`);
      w.longBytes(msg.payload);
      break;
    case 'error':
      w.u32(msg.tx).u8(msg.code).str(msg.message.slice(0, 200));
      break;
    case 'hopProbe':
    case 'hopReply':
      w.u32(msg.tx).u8(msg.ttl);
      break;
    case 'observe':
      w.u32(msg.tx);
      break;
    case 'observed':
      w.u32(msg.tx).addr(msg.addr);
      break;
    case 'refuse':
      w.u32(msg.tx);
      writeSession(w, msg.session);
      w.u8(msg.code).str(msg.message.slice(0, 200));
      break;
    case 'candidates':
    case 'candidatesQuery':
    case 'peerCandidates':
    case 'mapCheck':
    case 'mapNonce':
      encodeCandidateMessage(w, msg);
      break;
    default:
      encodeRelay(w, msg);
  }
  const body = w.finish();
  const out = body.length >= padTo ? body : new Uint8Array(Math.min(padTo, MAX_DATAGRAM)).fill(0);
  if (out !== body) out.set(body);
  if (out.length > MAX_DATAGRAM) throw new RangeError(`encoded ${msg.type} is ${out.length} bytes`);
  return out;
}

/** Cheap check used to count (not parse) foreign traffic. */
export function looksLikePorthole(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === MAGIC0 && data[1] === MAGIC1;
}

export function decode(data: Uint8Array): DecodeResult {
  if (data.length > MAX_DATAGRAM)
    return { ok: false, error: `oversized datagram (${data.length} bytes)` };
  if (data.length < 4) return { ok: false, error: 'truncated header' };
  if (data[0] !== MAGIC0 || data[1] !== MAGIC1) return { ok: false, error: 'bad magic' };
  if (data[2] !== WIRE_VERSION) return { ok: false, error: `unsupported version ${data[2]}` };
  const type = TYPE_BY_CODE.get(data[3] as number);
  if (!type) return { ok: false, error: `unknown message type ${data[3]}` };
  try {
    const r = new Reader(data.subarray(4));
    const msg = decodeBody(type, r);
    // Only zero padding may follow the fields.
    if (r.remaining > 0 && r.bytes(r.remaining).some((b) => b !== 0))
      throw new DecodeError('trailing bytes');
    return { ok: true, msg };
  } catch (e) {
    if (e instanceof DecodeError) return { ok: false, error: `${type}: ${e.message}` };
    throw e;
  }
}

/** `{[key]: nat}` when present, `{}` when absent (optional fields stay absent, not undefined). */
function natField<K extends string>(key: K, nat: WireNat | undefined): Partial<Record<K, WireNat>> {
  return nat ? ({ [key]: nat } as Record<K, WireNat>) : {};
}

const homeIdOf = (r: Reader): string => r.str(64, HOME_ID_PATTERN);

function errorCode(code: number): ErrorCode {
  if (!(code in ErrorCode)) throw new DecodeError(`unknown error code ${code}`);
  return code;
}

function decodeBody(type: MessageType, r: Reader): Message {
  switch (type) {
    case 'register':
      return {
        type,
        tx: r.u32(),
        homeId: homeIdOf(r),
        locals: r.addrList(MAX_LOCALS),
        auth: r.varBytes(MAX_AUTH),
        ...natField('nat', readNat(r)),
      };
    case 'registered':
      return { type, tx: r.u32(), observed: r.addr(), ttlMs: r.u32() };
    case 'keepalive':
      return { type, tx: r.u32(), homeId: homeIdOf(r) };
    case 'keepaliveAck':
      return { type, tx: r.u32(), observed: r.addr() };
    case 'assist': {
      const base = {
        type,
        tx: r.u32(),
        homeId: homeIdOf(r),
        session: readSession(r),
        mode: readMode(r),
        auth: r.varBytes(MAX_AUTH),
      };
      const nat = readNat(r);
      return nat ? { ...base, nat, tried: r.u8() } : base;
    }
    case 'assistAck':
      return { type, tx: r.u32(), session: readSession(r), observed: r.addr() };
    case 'peerInfo':
      return {
        type,
        tx: r.u32(),
        session: readSession(r),
        client: r.addr(),
        mode: readMode(r),
        auth: r.varBytes(MAX_AUTH),
        ...natField('clientNat', readNat(r)),
      };
    case 'sprayDone':
      return { type, tx: r.u32(), session: readSession(r), sprayed: r.u16() };
    case 'sprayDoneAck':
      return { type, tx: r.u32(), session: readSession(r) };
    case 'probeReply':
      return { type, tx: r.u32(), session: readSession(r) };
    case 'ready':
      return {
        type,
        tx: r.u32(),
        session: readSession(r),
        home: r.addr(),
        locals: r.addrList(MAX_LOCALS),
        mode: readMode(r),
        ...natField('homeNat', readNat(r)),
      };
    case 'addrQuery':
      return { type, tx: r.u32(), homeId: homeIdOf(r) };
    case 'addrReply':
      return { type, tx: r.u32(), homeId: homeIdOf(r), home: r.addr() };
    case 'probe':
      return { type, tx: r.u32(), homeId: homeIdOf(r), session: readSession(r) };
    case 'punch':
      return { type, session: readSession(r) };
    case 'data':
      return { type, payload: r.longBytes(MAX_DATA) };
    case 'hopProbe':
    case 'hopReply':
      return { type, tx: r.u32(), ttl: r.u8() };
    case 'observe':
      return { type, tx: r.u32() };
    case 'observed':
      return { type, tx: r.u32(), addr: r.addr() };
    case 'refuse': {
      const tx = r.u32();
      const session = readSession(r);
      return {
        type,
        tx,
        session,
        code: errorCode(r.u8()),
        message: r.str(200, ERROR_TEXT_PATTERN),
      };
    }
    case 'error': {
      const tx = r.u32();
      return { type, tx, code: errorCode(r.u8()), message: r.str(200, ERROR_TEXT_PATTERN) };
    }
    case 'candidates':
    case 'candidatesQuery':
    case 'peerCandidates':
    case 'mapCheck':
    case 'mapNonce':
      return decodeCandidateMessage(type, r, homeIdOf);
    default:
      return decodeRelay(type, r);
  }
}

/** The `tried` bitmask of an assist: bit i = MODES[i]. */
export function modeMask(modes: readonly PunchMode[]): number {
  return modes.reduce((m, mode) => m | (1 << MODES.indexOf(mode)), 0);
}
export function modesOf(mask: number): PunchMode[] {
  return MODES.filter((_, i) => (mask & (1 << i)) !== 0);
}
