// STUN (RFC 8489 + RFC 5780 attributes, src/discovery/stun-codec.ts): decodeStun() promises a
// message or a reason, never an exception; an accepted message re-encodes to one that decodes to
// the same fields (texts and PADDING normalised once: a stable fixpoint after one pass).
import {
  BINDING,
  decodeStun,
  encodeStun,
  isStun,
  type StunMessage,
} from '../../../src/discovery/stun-codec.js';
import { check, decodes, sameValue, type FuzzTarget } from '../target.js';

const tx = (n: number): Uint8Array => new Uint8Array(12).fill(n);

export const STUN_SAMPLES: StunMessage[] = [
  { cls: 'request', method: BINDING, txId: tx(1) },
  { cls: 'request', method: BINDING, txId: tx(2), changeRequest: { ip: true, port: true } },
  { cls: 'request', method: BINDING, txId: tx(3), responsePort: 40000, padding: 64 },
  {
    cls: 'success',
    method: BINDING,
    txId: tx(4),
    xorMapped: { ip: '203.0.113.7', port: 40001 },
    mapped: { ip: '203.0.113.7', port: 40001 },
    responseOrigin: { ip: '198.51.100.1', port: 3478 },
    otherAddress: { ip: '198.51.100.2', port: 3479 },
    software: 'porthole',
    fingerprint: true,
  },
  { cls: 'success', method: BINDING, txId: tx(5), xorMapped: { ip: '2001:db8::7', port: 9 } },
  {
    cls: 'error',
    method: BINDING,
    txId: tx(6),
    error: { code: 420, reason: 'Unknown Attribute' },
    unknownAttributes: [0x0003, 0x0027],
  },
  { cls: 'indication', method: BINDING, txId: tx(7), fingerprint: true },
];

/** What survives an encode: texts and PADDING are normalised, unknown attributes dropped. */
function encodable(m: StunMessage): StunMessage {
  const { unknownRequired: _u, ...rest } = m;
  void _u;
  return rest;
}

export const target: FuzzTarget = {
  name: 'stun',
  about: 'src/discovery/stun-codec.ts decodeStun()/isStun(), encodeStun() round trip',
  sources: ['src/discovery/stun-codec.ts'],
  maxLen: 2100,
  seeds: () => STUN_SAMPLES.map((m) => encodeStun(m)),
  fuzz(data) {
    decodes(() => isStun(data));
    const r = decodes(() => decodeStun(data));
    if (!r?.ok) return;
    const first = decodes(() => encodeStun(encodable(r.msg)));
    check(first, 'an accepted STUN message does not encode');
    const m2 = decodeStun(first);
    check(m2.ok, `a re-encoded STUN message does not decode: ${m2.ok ? '' : m2.reason}`);
    for (const k of ['cls', 'method', 'txId', 'mapped', 'xorMapped', 'responseOrigin'] as const)
      sameValue(m2.msg[k], r.msg[k], `STUN ${k}`);
    for (const k of ['otherAddress', 'changeRequest', 'responsePort', 'unknownAttributes'] as const)
      sameValue(m2.msg[k], r.msg[k], `STUN ${k}`);
    sameValue(m2.msg.fingerprint, r.msg.fingerprint, 'STUN fingerprint');
    const m3 = decodeStun(encodeStun(m2.msg));
    check(m3.ok, 'STUN does not reach a fixpoint');
    sameValue(m3.msg, m2.msg, 'STUN (second pass)');
  },
};
