// NAT-PMP (RFC 6886 §3.2, §3.3) on hand-built packets, and hostile ones: decoding never throws.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeNatpmpAddress,
  decodeNatpmpMap,
  encodeNatpmpAddress,
  encodeNatpmpMap,
} from '../../src/portmap/natpmp-codec.js';
import { flipBits, SeqRandom } from '../support/fakes.js';

const req = { internalPort: 40000, suggestedPort: 40000, lifetimeS: 7200 };
const u16 = (n: number): number[] => [n >> 8, n & 0xff];
const u32 = (n: number): number[] => [n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const addrReply = (result = 0): Uint8Array =>
  Uint8Array.from([0, 128, ...u16(result), ...u32(5), 198, 51, 100, 7]);
const mapReply = (
  o: { op?: number; result?: number; internal?: number; external?: number } = {},
): Uint8Array =>
  Uint8Array.from([
    0,
    o.op ?? 129,
    ...u16(o.result ?? 0),
    ...u32(5),
    ...u16(o.internal ?? 40000),
    ...u16(o.external ?? 40001),
    ...u32(3600),
  ]);

test('natpmp codec: requests have the RFC 6886 layout', () => {
  assert.deepEqual([...encodeNatpmpAddress()], [0, 0]);
  assert.deepEqual(
    [...encodeNatpmpMap(req)],
    [0, 1, 0, 0, ...u16(40000), ...u16(40000), ...u32(7200)],
  );
  // Delete: lifetime 0 and suggested port 0 (§3.4).
  assert.deepEqual(
    [...encodeNatpmpMap({ internalPort: 40000, suggestedPort: 0, lifetimeS: 0 })],
    [0, 1, 0, 0, ...u16(40000), 0, 0, 0, 0, 0, 0],
  );
});

test('natpmp codec: success responses decode', () => {
  assert.deepEqual(decodeNatpmpAddress(addrReply()), {
    ok: true,
    msg: { kind: 'ok', epoch: 5, externalIp: '198.51.100.7' },
  });
  assert.deepEqual(decodeNatpmpMap(mapReply(), req), {
    ok: true,
    msg: { kind: 'ok', epoch: 5, externalPort: 40001, lifetimeS: 3600 },
  });
});

test('natpmp codec: result codes, including short error responses', () => {
  assert.deepEqual(decodeNatpmpAddress(addrReply(3).subarray(0, 8)), {
    ok: true,
    msg: { kind: 'error', result: 3 },
  });
  assert.deepEqual(decodeNatpmpMap(mapReply({ result: 2 }), req), {
    ok: true,
    msg: { kind: 'error', result: 2 },
  });
  assert.deepEqual(decodeNatpmpMap(mapReply({ result: 5 }).subarray(0, 8), req), {
    ok: true,
    msg: { kind: 'error', result: 5 },
  });
});

test('natpmp codec: wrong version, opcode, port, truncation are rejected', () => {
  const cases: Array<[string, boolean]> = [
    ['version', decodeNatpmpMap(Uint8Array.from([2, ...mapReply().subarray(1)]), req).ok],
    ['TCP opcode', decodeNatpmpMap(mapReply({ op: 130 }), req).ok],
    ['request opcode', decodeNatpmpMap(mapReply({ op: 1 }), req).ok],
    ['internal port', decodeNatpmpMap(mapReply({ internal: 1 }), req).ok],
    ['external port 0', decodeNatpmpMap(mapReply({ external: 0 }), req).ok],
    ['truncated map', decodeNatpmpMap(mapReply().subarray(0, 15), req).ok],
    ['truncated address', decodeNatpmpAddress(addrReply().subarray(0, 11)).ok],
    ['address opcode for map', decodeNatpmpMap(addrReply(), req).ok],
    ['map opcode for address', decodeNatpmpAddress(mapReply()).ok],
    ['empty', decodeNatpmpAddress(new Uint8Array(0)).ok],
    [
      'too long',
      decodeNatpmpAddress(new Uint8Array(2000).fill(0).map((_, i) => (i === 1 ? 128 : 0))).ok,
    ],
  ];
  for (const [what, ok] of cases) assert.equal(ok, false, `${what} was accepted`);
});

test('natpmp codec: fuzz never throws', () => {
  const rng = new SeqRandom(6886);
  for (let i = 0; i < 3000; i++) {
    const b = i % 2 ? rng.bytes(rng.int(40)) : Uint8Array.from(i % 4 ? mapReply() : addrReply());
    if (i % 2 === 0) flipBits(rng, b, 1 + rng.int(3));
    decodeNatpmpAddress(b);
    decodeNatpmpMap(b, req);
  }
});
