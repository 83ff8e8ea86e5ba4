// Every datagram Porthole speaks, as a typed union, with a strict codec.
// Layout: magic "PH" (2) | version (1) | type (1) | fields…  — no trailing bytes allowed.
// decode() never throws: untrusted bytes become either a typed message or a typed error.
// The fields of each family: core-messages.ts, candidates.ts, relay-messages.ts.
import {
  CANDIDATE_TYPE_CODES,
  decodeCandidateMessage,
  encodeCandidateMessage,
  type CandidateMessage,
} from './candidates.js';
import { DecodeError, Reader, Writer } from './codec.js';
import {
  CORE_TYPE_CODES,
  decodeCore,
  encodeCore,
  homeIdOf,
  isCoreType,
  type CoreMessage,
} from './core-messages.js';
import { MAX_DATAGRAM, MAX_PATH_DATAGRAM, MAX_RELAY_DATAGRAM } from './limits.js';
import { decodeRelay, encodeRelay, RELAY_TYPE_CODES, type RelayMessage } from './relay-messages.js';
import {
  decodeServerMessage,
  encodeServerMessage,
  SERVER_TYPE_CODES,
  type ServerMessage,
} from './server-messages.js';

export type { WireNat } from './nat-ext.js';
export type { SessionId, TxId } from './core-messages.js';
export { ErrorCode } from './error-code.js';
export { modeMask, modesOf, type PunchMode } from './modes.js';
export {
  HOME_ID_PATTERN,
  MAX_AUTH,
  MAX_DATA,
  MAX_DATAGRAM,
  MAX_LOCALS,
  MAX_PATH_DATAGRAM,
  MAX_RELAY_DATAGRAM,
  MAX_RELAY_PAYLOAD,
  REQUEST_PAD,
} from './limits.js';

export const MAGIC0 = 0x50; // 'P'
export const MAGIC1 = 0x48; // 'H'
export const WIRE_VERSION = 1;

export type Message =
  | CoreMessage
  /** Issue 13: mapped and IPv6 candidates, and the mapping check (wire/candidates.ts). */
  | CandidateMessage
  /** Relayed sessions (issue 10): see relay-messages.ts. */
  | RelayMessage
  /** Issue 21: serverInfo/infoQuery (the relay's fronts), deregister (server-messages.ts). */
  | ServerMessage;

export type MessageType = Message['type'];
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;

const TYPE_CODES: Record<MessageType, number> = {
  ...CORE_TYPE_CODES,
  ...CANDIDATE_TYPE_CODES,
  ...RELAY_TYPE_CODES,
  ...SERVER_TYPE_CODES,
};
const TYPE_BY_CODE = new Map<number, MessageType>(
  Object.entries(TYPE_CODES).map(([k, v]) => [v, k as MessageType]),
);

type CandidateType = CandidateMessage['type'];
const isCandidateType = (type: string): type is CandidateType =>
  Object.hasOwn(CANDIDATE_TYPE_CODES, type);
const isCore = (msg: Message): msg is CoreMessage => isCoreType(msg.type);
const isCandidate = (msg: Message): msg is CandidateMessage => isCandidateType(msg.type);
type ServerType = ServerMessage['type'];
const isServerType = (type: string): type is ServerType => Object.hasOwn(SERVER_TYPE_CODES, type);
const isServer = (msg: Message): msg is ServerMessage => isServerType(msg.type);

export type DecodeResult = { ok: true; msg: Message } | { ok: false; error: string };

export function isSessionId(s: string): boolean {
  return /^[0-9a-f]{16}$/.test(s);
}

/**
 * Encodes `msg`, padded with zero bytes up to `padTo`. Requests to the rendezvous are padded so
 * that no answer is ever larger than the request that caused it (no amplification).
 */
export function encode(msg: Message, padTo = 0): Uint8Array {
  // Sized for the payload at once: a 1,400-byte stream frame grew a 64-byte writer five times.
  const payload = (msg as { payload?: unknown }).payload;
  const room = 64 + (payload instanceof Uint8Array ? payload.length : 0);
  const w = new Writer(room).u8(MAGIC0).u8(MAGIC1).u8(WIRE_VERSION).u8(TYPE_CODES[msg.type]);
  if (isCore(msg)) encodeCore(w, msg);
  else if (isCandidate(msg)) encodeCandidateMessage(w, msg);
  else if (isServer(msg)) encodeServerMessage(w, msg);
  else encodeRelay(w, msg);
  const body = w.finish();
  const out = body.length >= padTo ? body : new Uint8Array(Math.min(padTo, MAX_DATAGRAM)).fill(0);
  if (out !== body) out.set(body);
  if (out.length > maxSize(msg.type))
    throw new RangeError(`encoded ${msg.type} is ${out.length} bytes`);
  return out;
}

/** Only relayData may exceed MAX_DATAGRAM (docs/seams.md §8); answers stay within requests. */
function maxSize(type: MessageType): number {
  if (type === 'relayData') return MAX_RELAY_DATAGRAM;
  // A `data` datagram carries one Noise frame of up to 1,400 bytes (a stream frame, issue 19).
  return type === 'data' ? MAX_PATH_DATAGRAM : MAX_DATAGRAM;
}

/** Cheap check used to count (not parse) foreign traffic. */
export function looksLikePorthole(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === MAGIC0 && data[1] === MAGIC1;
}

export function decode(data: Uint8Array): DecodeResult {
  if (data.length > Math.max(MAX_RELAY_DATAGRAM, MAX_PATH_DATAGRAM))
    return { ok: false, error: `oversized datagram (${data.length} bytes)` };
  if (data.length < 4) return { ok: false, error: 'truncated header' };
  if (data[0] !== MAGIC0 || data[1] !== MAGIC1) return { ok: false, error: 'bad magic' };
  if (data[2] !== WIRE_VERSION) return { ok: false, error: `unsupported version ${data[2]}` };
  const type = TYPE_BY_CODE.get(data[3] as number);
  if (!type) return { ok: false, error: `unknown message type ${data[3]}` };
  if (data.length > maxSize(type))
    return { ok: false, error: `oversized ${type} (${data.length} bytes)` };
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

function decodeBody(type: MessageType, r: Reader): Message {
  if (isCoreType(type)) return decodeCore(type, r);
  if (isCandidateType(type)) return decodeCandidateMessage(type, r, homeIdOf);
  if (isServerType(type)) return decodeServerMessage(type, r);
  return decodeRelay(type, r);
}
