// The 8-byte session id on the wire, shown as 16 lowercase hex chars.
import type { Reader, Writer } from './codec.js';

export function writeSession(w: Writer, s: string): void {
  w.bytes(Buffer.from(s, 'hex'));
}

export function readSession(r: Reader): string {
  return Buffer.from(r.bytes(8)).toString('hex');
}
