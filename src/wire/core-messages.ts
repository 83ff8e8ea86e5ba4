// The core messages (the patent's rounds: registration, assist, spray, probes, errors) and
// their field codec. Framing, padding and the other families are in messages.ts.
import type { SocketAddr } from './socket-addr.js';
import type { Reader, Writer } from './codec.js';
import { ERROR_TEXT_PATTERN, errorCode, type ErrorCode } from './error-code.js';
import { HOME_ID_PATTERN, MAX_AUTH, MAX_DATA, MAX_LOCALS } from './limits.js';
import { MODES, readMode, type PunchMode } from './modes.js';
import { readNat, writeNat, type WireNat } from './nat-ext.js';
import { readSession, writeSession } from './session.js';

/** 8 random bytes as 16 lowercase hex chars; identifies one traversal attempt. */
export type SessionId = string;
/** 32-bit transaction id matching a reply to its request. */
export type TxId = number;

export type CoreMessage =
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
  | { type: 'refuse'; tx: TxId; session: SessionId; code: ErrorCode; message: string };

export type CoreType = CoreMessage['type'];

export const CORE_TYPE_CODES: Record<CoreType, number> = {
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
};

export function isCoreType(type: string): type is CoreType {
  return Object.hasOwn(CORE_TYPE_CODES, type);
}

/** Writes the fields of a core message (after the 4-byte header). */
export function encodeCore(w: Writer, msg: CoreMessage): void {
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
  }
}

/** `{[key]: nat}` when present, `{}` when absent (optional fields stay absent, not undefined). */
function natField<K extends string>(key: K, nat: WireNat | undefined): Partial<Record<K, WireNat>> {
  return nat ? ({ [key]: nat } as Record<K, WireNat>) : {};
}

export const homeIdOf = (r: Reader): string => r.str(64, HOME_ID_PATTERN);
/** Reads the fields of a core message of `type`; throws DecodeError on bad bytes. */
export function decodeCore(type: CoreType, r: Reader): CoreMessage {
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
  }
}
