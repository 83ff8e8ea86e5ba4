// The 8-byte ids on the wire (sessions, nonces), shown as 16 lowercase hex chars.
import type { Reader, Writer } from './codec.js';

/** The id's 8 bytes; anything else is a caller's bug, not something to send. */
export function sessionBytes(s: string): Uint8Array {
  const b = Buffer.from(s, 'hex');
  if (b.length !== 8) throw new RangeError('a session id must be 16 hex chars');
  return b;
}

export function writeSession(w: Writer, s: string): void {
  w.bytes(sessionBytes(s));
}

export function readSession(r: Reader): string {
  return Buffer.from(r.bytes(8)).toString('hex');
}
