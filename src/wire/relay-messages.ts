// The relay's messages (issue 10), part of the one Message union in messages.ts and its strict
// codec; kept here so messages.ts stays small. The same bytes travel over UDP, inside TCP
// length-prefixed frames and as WebSocket binary messages: one codec for every transport.
//
//   client → relay   relayOpen {tx, homeId, session, auth, early}   (padded to REQUEST_PAD)
//   relay  → home    relayOffer {tx, session, client, auth, early}  (re-sent until answered)
// `early` (may be empty): the client's first frame (Noise message 1), carried with the request so
// the home can answer the handshake together with its accept — one relayed round trip for both.
//   home   → relay   relayAccept {tx, session} | relayRefuse {tx, session, message}
//   relay  → client  relayReady {tx, session}
//   any    → any     relayClosed {session, code, message}      (ends a session, with its reason)
//   both ways        relayData {session, payload}              (opaque Noise frames)
//   relay  → client  relayRedirect {tx, session, relay, tcpPort, wsPort}
// "ask there instead" (the cluster node holding the home, or a standalone relay node): the client
// re-sends its relayOpen there; tcpPort/wsPort (0 = none) are the target's stream fronts.
//   rendezvous → home  relayNode {tx, relay}   (after registered / keepaliveAck, same tx)
// "register with this relay node too, and take its offers". A separate message rather than a
// trailing field of `registered`: older homes drop it as unexpected instead of rejecting the
// registration answer (the strict decoder refuses trailing bytes).
import type { SocketAddr } from './socket-addr.js';
import { DecodeError, type Reader, type Writer } from './codec.js';
import { ERROR_TEXT_PATTERN } from './error-code.js';
import { HOME_ID_PATTERN, MAX_AUTH, MAX_RELAY_PAYLOAD } from './limits.js';
import { readSession, sessionBytes } from './session.js';

/** Why a relayed session ended (or never started); travels as one byte. */
export enum RelayCloseCode {
  /** The home refused this client (not paired, bad code…). */
  Refused = 1,
  UnknownHome = 2,
  /** The home never answered the offer. */
  HomeUnreachable = 3,
  ByteCap = 4,
  DurationCap = 5,
  Idle = 6,
  /** A session-count cap (global, per client IP or per home). */
  Busy = 7,
  /** The other end closed it. */
  PeerClosed = 8,
  /** Malformed or clashing request (e.g. a session id already in use). */
  BadRequest = 9,
  Shutdown = 10,
  /** The client's transport could not keep up (slow reader). */
  SlowReader = 11,
}

export type RelayMessage =
  | {
      type: 'relayOpen';
      tx: number;
      homeId: string;
      session: string;
      auth: Uint8Array;
      early: Uint8Array;
    }
  | {
      type: 'relayOffer';
      tx: number;
      session: string;
      client: SocketAddr;
      auth: Uint8Array;
      early: Uint8Array;
    }
  | { type: 'relayAccept'; tx: number; session: string }
  | { type: 'relayRefuse'; tx: number; session: string; message: string }
  | { type: 'relayReady'; tx: number; session: string }
  | { type: 'relayClosed'; session: string; code: RelayCloseCode; message: string }
  | { type: 'relayData'; session: string; payload: Uint8Array }
  | {
      type: 'relayRedirect';
      tx: number;
      session: string;
      relay: SocketAddr;
      tcpPort: number;
      wsPort: number;
    }
  | { type: 'relayNode'; tx: number; relay: SocketAddr };

export type RelayMessageType = RelayMessage['type'];

export const RELAY_TYPE_CODES: Record<RelayMessageType, number> = {
  relayOpen: 40,
  relayOffer: 41,
  relayAccept: 42,
  relayRefuse: 43,
  relayReady: 44,
  relayClosed: 45,
  relayData: 46,
  relayRedirect: 47,
  relayNode: 48,
};

/**
 * Largest relayed frame (1,400; was 1,100): a full Noise data frame (1,024 + 21 bytes) fits, and
 * so does a stream datagram (issue 19). An older relay or home drops a larger relayData as
 * undecodable (docs/seams.md §8): a sender learns what fits from the path (Path.maxPayload).
 */
export { MAX_RELAY_PAYLOAD };
/** Largest early frame: room for the open's other fields in one datagram (IK message 1 is ~100–200). */
export const MAX_EARLY = 512;
const text = (r: Reader): string => r.str(200, ERROR_TEXT_PATTERN);

function closeCode(n: number): RelayCloseCode {
  if (!(n in RelayCloseCode)) throw new DecodeError(`unknown relay close code ${n}`);
  return n;
}

export function encodeRelay(w: Writer, m: RelayMessage): void {
  if (m.type === 'relayNode') {
    w.u32(m.tx).addr(m.relay);
    return;
  }
  const sid = sessionBytes(m.session);
  if ('early' in m && m.early.length > MAX_EARLY)
    throw new RangeError(`early frame over ${MAX_EARLY} bytes`);
  switch (m.type) {
    case 'relayOpen':
      w.u32(m.tx).str(m.homeId).bytes(sid).varBytes(m.auth).longBytes(m.early);
      return;
    case 'relayOffer':
      w.u32(m.tx).bytes(sid).addr(m.client).varBytes(m.auth).longBytes(m.early);
      return;
    case 'relayAccept':
    case 'relayReady':
      w.u32(m.tx).bytes(sid);
      return;
    case 'relayRefuse':
      w.u32(m.tx).bytes(sid).str(m.message.slice(0, 200));
      return;
    case 'relayClosed':
      w.bytes(sid).u8(m.code).str(m.message.slice(0, 200));
      return;
    case 'relayData':
      if (m.payload.length > MAX_RELAY_PAYLOAD)
        throw new RangeError(`relay payload over ${MAX_RELAY_PAYLOAD} bytes`);
      w.bytes(sid).longBytes(m.payload);
      return;
    case 'relayRedirect':
      w.u32(m.tx).bytes(sid).addr(m.relay).u16(m.tcpPort).u16(m.wsPort);
      return;
  }
}

export function decodeRelay(type: RelayMessageType, r: Reader): RelayMessage {
  switch (type) {
    case 'relayOpen':
      return {
        type,
        tx: r.u32(),
        homeId: r.str(64, HOME_ID_PATTERN),
        session: readSession(r),
        auth: r.varBytes(MAX_AUTH),
        early: r.longBytes(MAX_EARLY),
      };
    case 'relayOffer':
      return {
        type,
        tx: r.u32(),
        session: readSession(r),
        client: r.addr(),
        auth: r.varBytes(MAX_AUTH),
        early: r.longBytes(MAX_EARLY),
      };
    case 'relayAccept':
    case 'relayReady':
      return { type, tx: r.u32(), session: readSession(r) };
    case 'relayRefuse':
      return { type, tx: r.u32(), session: readSession(r), message: text(r) };
    case 'relayClosed':
      return { type, session: readSession(r), code: closeCode(r.u8()), message: text(r) };
    case 'relayData':
      return { type, session: readSession(r), payload: r.longBytes(MAX_RELAY_PAYLOAD) };
    case 'relayRedirect':
      return {
        type,
        tx: r.u32(),
        session: readSession(r),
        relay: r.addr(),
        tcpPort: r.u16(),
        wsPort: r.u16(),
      };
    case 'relayNode':
      return { type, tx: r.u32(), relay: r.addr() };
  }
}
