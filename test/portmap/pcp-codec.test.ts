// PCP MAP (RFC 6887 §7, §11) on hand-built packets, and hostile ones: decoding never throws.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePcpMap, encodePcpMap, type PcpMapRequest } from '../../src/portmap/pcp-codec.js';
import { flipBits, SeqRandom } from '../support/fakes.js';

const nonce = Uint8Array.from({ length: 12 }, (_, i) => i + 1);
const req: PcpMapRequest = {
  clientIp: '192.168.1.10',
  nonce,
  internalPort: 40000,
  suggestedPort: 40000,
  suggestedIp: '0.0.0.0',
  lifetimeS: 7200,
};
const mapped = (ip: number[]): number[] => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...ip];
const u16 = (n: number): number[] => [n >> 8, n & 0xff];
const u32 = (n: number): number[] => [n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];

/** A MAP response laid out as in RFC 6887 §7.2 and §11.1. */
function response(o: {
  version?: number;
  opcode?: number;
  result?: number;
  lifetime?: number;
  nonce?: Uint8Array;
  proto?: number;
  internal?: number;
  external?: number;
  ip?: number[];
}): Uint8Array {
  return Uint8Array.from([
    o.version ?? 2,
    o.opcode ?? 0x81,
    0,
    o.result ?? 0,
    ...u32(o.lifetime ?? 3600),
    ...u32(77), // epoch
    ...new Array<number>(12).fill(0),
    ...(o.nonce ?? nonce),
    o.proto ?? 17,
    0,
    0,
    0,
    ...u16(o.internal ?? 40000),
    ...u16(o.external ?? 40001),
    ...(o.ip ?? mapped([198, 51, 100, 7])),
  ]);
}

test('pcp codec: MAP request has the RFC 6887 layout', () => {
  const b = encodePcpMap(req);
  assert.equal(b.length, 60);
  assert.deepEqual(
    [...b],
    [
      2,
      1,
      0,
      0,
      ...u32(7200),
      ...mapped([192, 168, 1, 10]),
      ...nonce,
      17,
      0,
      0,
      0,
      ...u16(40000),
      ...u16(40000),
      ...mapped([0, 0, 0, 0]),
    ],
  );
});

test('pcp codec: a success response decodes to the external address and lifetime', () => {
  const r = decodePcpMap(response({}), req);
  assert.deepEqual(r, {
    ok: true,
    msg: {
      kind: 'mapped',
      lifetimeS: 3600,
      epoch: 77,
      externalIp: '198.51.100.7',
      externalPort: 40001,
    },
  });
});

test('pcp codec: error results, unsupported versions (PCP and NAT-PMP servers)', () => {
  assert.deepEqual(decodePcpMap(response({ result: 8, lifetime: 30 }), req), {
    ok: true,
    msg: { kind: 'error', result: 8, lifetimeS: 30 },
  });
  // UNSUPP_VERSION may come with the header only (no MAP body to carry the nonce).
  const short = response({ result: 1 }).subarray(0, 24);
  assert.deepEqual(decodePcpMap(short, req), {
    ok: true,
    msg: { kind: 'unsupported-version', version: 2 },
  });
  // A NAT-PMP-only server: version 0, opcode 128+1, result 1 (RFC 6886 §3.5).
  const natpmp = Uint8Array.from([0, 129, 0, 1, 0, 0, 0, 9]);
  assert.deepEqual(decodePcpMap(natpmp, req), {
    ok: true,
    msg: { kind: 'unsupported-version', version: 0 },
  });
});

test('pcp codec: responses that do not answer this request are rejected', () => {
  const cases: Array<[string, Uint8Array]> = [
    ['version', response({ version: 3 })],
    ['request, not response (R bit)', response({ opcode: 0x01 })],
    ['opcode PEER', response({ opcode: 0x82 })],
    ['nonce', response({ nonce: new Uint8Array(12) })],
    ['protocol TCP', response({ proto: 6 })],
    ['internal port', response({ internal: 40002 })],
    ['external port 0', response({ external: 0 })],
    ['not IPv4-mapped', response({ ip: new Array<number>(16).fill(1) })],
    ['truncated body', response({}).subarray(0, 56)],
    ['truncated header', response({}).subarray(0, 20)],
    ['not a multiple of 4', Uint8Array.from([...response({}), 0])],
    ['too long', Uint8Array.from([...response({}), ...new Array<number>(1100).fill(0)])],
    ['empty', new Uint8Array(0)],
    ['error without body', response({ result: 8 }).subarray(0, 24)],
  ];
  for (const [what, bytes] of cases) {
    const r = decodePcpMap(bytes, req);
    assert.equal(r.ok, false, `${what} was accepted`);
  }
  // An error response with another request's nonce is not ours either.
  assert.equal(decodePcpMap(response({ result: 2, nonce: new Uint8Array(12) }), req).ok, false);
});

test('pcp codec: fuzz (random bytes, flipped bits, every truncation) never throws', () => {
  const rng = new SeqRandom(6887);
  const good = response({});
  for (let i = 0; i < 3000; i++) {
    const b = i % 2 ? rng.bytes(rng.int(80)) : Uint8Array.from(good);
    if (i % 2 === 0) flipBits(rng, b, 1 + rng.int(4));
    decodePcpMap(b, req);
    decodePcpMap(good.subarray(0, i % good.length), req);
  }
});
