// What a server tells about itself, and a home's goodbye (issue 21 items 1 and 9; docs/seams.md
// §8). Own type codes at the end of the union: older peers drop them as unknown types, and no
// existing message grows (the strict decoder refuses trailing bytes).
//
//   infoQuery     client → rendezvous, padded to INFO_PAD: where are your other fronts?
//   serverInfo    rendezvous → client (the answer, never larger than the query), and
//                 rendezvous → home after each `registered` (like relayNode, same tx):
//                 tcpPort (0 = none) of its TCP relay front, wsUrl ("" = none) of its WebSocket
//                 relay front, appUrl ("" = none) where it serves the phone app (issue 18)
//   deregister    home → rendezvous / relay node: I am going away (SIGTERM); auth = a proof
//                 bound to that server (secure/auth.ts deregistrationAuth; empty for open ids)
//   deregistered  the answer (same tx)
import type { Reader, Writer } from './codec.js';
import { HOME_ID_PATTERN, MAX_AUTH } from './limits.js';

/** Longest URL a serverInfo carries (wsUrl, appUrl). */
export const MAX_URL = 120;
/** infoQuery is padded to this: covers the largest serverInfo (no amplification). */
export const INFO_PAD = 4 + 4 + 2 + 2 * (1 + MAX_URL);
/** A URL on the wire: printable ASCII without spaces, or empty. */
export const URL_PATTERN = /^[\x21-\x7e]{0,120}$/;

export type ServerMessage =
  | { type: 'infoQuery'; tx: number }
  | { type: 'serverInfo'; tx: number; tcpPort: number; wsUrl: string; appUrl: string }
  | { type: 'deregister'; tx: number; homeId: string; auth: Uint8Array }
  | { type: 'deregistered'; tx: number };

export const SERVER_TYPE_CODES = {
  serverInfo: 49,
  infoQuery: 50,
  deregister: 51,
  deregistered: 52,
} as const;

export function encodeServerMessage(w: Writer, m: ServerMessage): void {
  switch (m.type) {
    case 'infoQuery':
    case 'deregistered':
      w.u32(m.tx);
      return;
    case 'serverInfo':
      if (!URL_PATTERN.test(m.wsUrl) || !URL_PATTERN.test(m.appUrl))
        throw new RangeError(`serverInfo URL longer than ${MAX_URL} or not printable`);
      w.u32(m.tx).u16(m.tcpPort).str(m.wsUrl).str(m.appUrl);
      return;
    case 'deregister':
      w.u32(m.tx).str(m.homeId).varBytes(m.auth);
      return;
  }
}

export function decodeServerMessage(type: ServerMessage['type'], r: Reader): ServerMessage {
  switch (type) {
    case 'infoQuery':
    case 'deregistered':
      return { type, tx: r.u32() };
    case 'serverInfo':
      return {
        type,
        tx: r.u32(),
        tcpPort: r.u16(),
        wsUrl: r.str(MAX_URL, URL_PATTERN),
        appUrl: r.str(MAX_URL, URL_PATTERN),
      };
    case 'deregister':
      return { type, tx: r.u32(), homeId: r.str(64, HOME_ID_PATTERN), auth: r.varBytes(MAX_AUTH) };
  }
}
