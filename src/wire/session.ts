// The 8-byte ids on the wire (sessions, nonces), shown as 16 lowercase hex chars.
import { fromHex, toHex } from './bytes.js';
import type { Reader, Writer } from './codec.js';

/** The id's 8 bytes; anything else is a caller's bug, not something to send. */
export function sessionBytes(s: string): Uint8Array {
  if (!/^[0-9a-fA-F]{16}$/.test(s)) throw new RangeError('a session id must be 16 hex chars');
  return fromHex(s);
}

export function writeSession(w: Writer, s: string): void {
  w.bytes(sessionBytes(s));
}

export function readSession(r: Reader): string {
  return toHex(r.bytes(8));
}
