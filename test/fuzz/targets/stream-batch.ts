// The stream layer's batch frames (src/streams/wire.ts, kind 0xF7 inside the live channel: small
// UDX packets, each after its u16 length), as the mux reads them from the other end. decodeBatch
// never throws; what it accepts is one or more non-empty packets inside the input, and encodes
// back to the same bytes (there is one way to write a batch).
import { decodeBatch, encodeBatch, UDX_BATCH_FRAME } from '../../../src/streams/wire.js';
import { MAX_PLAINTEXT } from '../../../src/secure/noise-frames.js';
import { check, decodes, type FuzzTarget } from '../target.js';

/** A UDX ack-sized packet: magic, version, type, a stream id, a few more header bytes. */
const ack = (n: number): Uint8Array =>
  Uint8Array.from([0xff, 0x01, 0x02, 0x00, n, 0, 0, 0, n, 0, 0, 0, 0, 0x40, 0, 0, 1, 0, 0, 0]);

export const target: FuzzTarget = {
  name: 'stream-batch',
  about: 'src/streams/wire.ts decodeBatch (stream batch frames 0xF7: small UDX packets)',
  sources: ['src/streams/wire.ts'],
  maxLen: MAX_PLAINTEXT,
  seeds: () => [
    encodeBatch([ack(1), ack(2)]).subarray(1),
    encodeBatch(Array.from({ length: 40 }, (_, i) => ack(i))).subarray(1),
    encodeBatch([ack(3), new Uint8Array(104).fill(9)]).subarray(1),
  ],
  fuzz(data) {
    const pkts = decodes(() => decodeBatch(data));
    if (!pkts) return;
    check(pkts.length >= 1 && pkts.every((p) => p.length >= 1), 'empty packet accepted');
    const again = encodeBatch(pkts);
    check(again[0] === UDX_BATCH_FRAME, 'frame kind');
    check(Buffer.from(again.subarray(1)).equals(Buffer.from(data)), 'not canonical');
  },
};
