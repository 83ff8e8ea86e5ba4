// A tap for `node --import ./scripts/fuzz-tap.mjs bin/porthole.js demo`: every UDP datagram the
// process sends is also written to PORTHOLE_TAP_DIR (one file each, in order) — real traffic
// for the fuzz corpus (test/fuzz/record-seeds.ts).
import dgram from 'node:dgram';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.PORTHOLE_TAP_DIR;
if (dir) {
  mkdirSync(dir, { recursive: true });
  let n = 0;
  const send = dgram.Socket.prototype.send;
  dgram.Socket.prototype.send = function (msg, ...rest) {
    const bytes = Array.isArray(msg) ? Buffer.concat(msg) : Buffer.from(msg);
    writeFileSync(join(dir, String(n++).padStart(6, '0')), bytes);
    return send.call(this, msg, ...rest);
  };
}
