// The datagram codec (src/wire): every message family — core, candidates, relay — with the NAT
// extension and zero padding. decode() promises never to throw; whatever it accepts must encode
// back to the same bytes (canonical) and decode to the same value.
import { decode, encode } from '../../../src/wire/messages.js';
import { WIRE_SAMPLES } from '../../support/wire-samples.js';
import { check, decodes, sameValue, type FuzzTarget } from '../target.js';

/** One of every message type (the capture in record-seeds.ts adds real traffic). */
export const SAMPLES = WIRE_SAMPLES;

export const target: FuzzTarget = {
  name: 'wire',
  about:
    'src/wire decode(): every message family (core, candidates, relay, server), addresses, NAT ext',
  sources: [
    'src/wire/messages.ts',
    'src/wire/core-messages.ts',
    'src/wire/candidates.ts',
    'src/wire/relay-messages.ts',
    'src/wire/server-messages.ts',
    'src/wire/codec.ts',
  ],
  maxLen: 1300,
  seeds: () => SAMPLES.map((m) => encode(m)),
  fuzz(data) {
    const r = decodes(() => decode(data));
    if (!r?.ok) return;
    const bytes = decodes(() => encode(r.msg));
    check(bytes, `${r.msg.type} decoded but does not encode`);
    const again = decode(bytes);
    check(again.ok, `${r.msg.type} re-encoded does not decode`);
    sameValue(again.msg, r.msg, r.msg.type);
    // Canonical: the accepted bytes are the encoding plus zero padding, nothing else.
    check(
      Buffer.from(data.subarray(0, bytes.length)).equals(bytes) &&
        data.subarray(bytes.length).every((b) => b === 0),
      `${r.msg.type}: two encodings decode to the same message`,
    );
  },
};
