// The STUN codec against RFC 5769's published test vectors, round trips of every attribute we
// write, and hostile input (truncation, bad lengths, random bytes): decode never throws.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../../src/net/virtual/rng.js';
import {
  BINDING,
  decodeStun,
  encodeStun,
  isStun,
  type StunMessage,
} from '../../src/discovery/stun-codec.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const TX = hex('b7e7a701bc34d686fa87dfae');

// RFC 5769 §2.1: a request with SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME,
// MESSAGE-INTEGRITY and FINGERPRINT.
const REQUEST = hex(`
  00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
  00 24 00 04 6e 00 01 ff
  80 29 00 08 93 2f f9 b1 51 26 3b 36
  00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
  00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
  80 28 00 04 e5 7a 3b cf`);
// §2.2: IPv4 response, XOR-MAPPED-ADDRESS 192.0.2.1:32853.
const RESPONSE_V4 = hex(`
  01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 08 00 01 a1 47 e1 12 a6 43
  00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
  80 28 00 04 c0 7d 4c 96`);
// §2.3: IPv6 response, XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]:32853.
const RESPONSE_V6 = hex(`
  01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
  00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
  80 28 00 04 c8 fb 0b 4c`);

function ok(b: Uint8Array): StunMessage {
  const d = decodeStun(b);
  assert.ok(d.ok, d.ok ? '' : d.reason);
  return d.msg;
}

test('RFC 5769 sample request: header, SOFTWARE, FINGERPRINT; unknown required attributes listed', () => {
  const m = ok(REQUEST);
  assert.equal(m.cls, 'request');
  assert.equal(m.method, BINDING);
  assert.deepEqual(m.txId, TX);
  assert.equal(m.software, 'STUN test client');
  assert.equal(m.fingerprint, true);
  // PRIORITY, USERNAME, MESSAGE-INTEGRITY: a Binding server without ICE/auth must say 420.
  assert.deepEqual(m.unknownRequired, [0x0024, 0x0006, 0x0008]);
});

test('RFC 5769 sample responses: XOR-MAPPED-ADDRESS over IPv4 and IPv6', () => {
  const v4 = ok(RESPONSE_V4);
  assert.equal(v4.cls, 'success');
  assert.equal(v4.software, 'test vector');
  assert.deepEqual(v4.xorMapped, { ip: '192.0.2.1', port: 32853 });
  assert.equal(v4.fingerprint, true);
  const v6 = ok(RESPONSE_V6);
  assert.deepEqual(v6.xorMapped, { ip: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 });
  assert.equal(v6.fingerprint, true);
  // node:dgram hands over Buffers, whose slice() is a view: decoding must not alter the bytes.
  const buf = Buffer.from(RESPONSE_V6);
  assert.deepEqual(ok(buf).xorMapped, v6.xorMapped);
  assert.deepEqual(ok(buf).xorMapped, v6.xorMapped);
  assert.ok(buf.equals(RESPONSE_V6));
});

test('a flipped bit anywhere before FINGERPRINT fails the check (or the parse)', () => {
  for (let i = 20; i < RESPONSE_V4.length - 8; i++) {
    const b = RESPONSE_V4.slice();
    b[i] = (b[i] as number) ^ 0x01;
    assert.equal(decodeStun(b).ok, false, `bit flip at ${i} accepted`);
  }
});

test('encode → decode round trip of every attribute, IPv4 and IPv6', () => {
  const msg: StunMessage = {
    cls: 'error',
    method: BINDING,
    txId: TX,
    mapped: { ip: '203.0.113.7', port: 40001 },
    xorMapped: { ip: '2001:db8::7', port: 1 },
    responseOrigin: { ip: '198.51.100.1', port: 3478 },
    otherAddress: { ip: '::ffff:c633:6402', port: 3479 },
    changeRequest: { ip: true, port: false },
    responsePort: 5555,
    error: { code: 420, reason: 'Unknown Attribute' },
    unknownAttributes: [0x0003, 0x0024],
    software: 'porthole ✓',
    padding: 37,
    fingerprint: true,
  };
  const b = encodeStun(msg);
  assert.equal(b.length % 4, 0);
  assert.ok(isStun(b));
  assert.deepEqual(ok(b), { ...msg, txId: TX });
  const bare = ok(encodeStun({ cls: 'indication', method: BINDING, txId: TX }));
  assert.equal(bare.cls, 'indication');
  assert.equal(bare.fingerprint, undefined);
});

test("isStun: Porthole's own datagrams ('PH…') and other protocols never match", () => {
  const ph = new Uint8Array(40);
  ph.set([0x50, 0x48]);
  ph.set([0x21, 0x12, 0xa4, 0x42], 4); // even with a cookie in the right place
  assert.equal(isStun(ph), false);
  assert.equal(isStun(REQUEST.subarray(0, 19)), false);
  const noCookie = REQUEST.slice();
  noCookie[5] = 0;
  assert.equal(isStun(noCookie), false);
  assert.equal(decodeStun(noCookie).ok, false);
});

test('hostile: every truncation, wrong lengths, attribute overruns, trailing bytes', () => {
  for (const v of [REQUEST, RESPONSE_V4, RESPONSE_V6])
    for (let n = 0; n < v.length; n++) assert.equal(decodeStun(v.subarray(0, n)).ok, false);
  const longer = new Uint8Array(RESPONSE_V4.length + 4);
  longer.set(RESPONSE_V4);
  assert.equal(decodeStun(longer).ok, false, 'trailing bytes');
  // An attribute claiming more than the message holds.
  const over = encodeStun({ cls: 'request', method: BINDING, txId: TX, software: 'abcd' });
  over[22] = 0x01;
  assert.equal(decodeStun(over).ok, false);
  // Address attribute with an unknown family / wrong length.
  const bad = encodeStun({
    cls: 'success',
    method: BINDING,
    txId: TX,
    mapped: { ip: '1.2.3.4', port: 1 },
  });
  bad[25] = 3;
  assert.equal(decodeStun(bad).ok, false);
  assert.equal(decodeStun(new Uint8Array(4000)).ok, false, 'oversized');
});

test('fuzz: random bytes and mutated valid messages never throw', () => {
  const rng = new SeededRandom(9);
  const seeds = [REQUEST, RESPONSE_V4, RESPONSE_V6];
  for (let i = 0; i < 20_000; i++) {
    let b: Uint8Array;
    if (i % 2 === 0) {
      b = rng.bytes(rng.int(120));
      if (b.length >= 8 && i % 4 === 0) b.set([0x21, 0x12, 0xa4, 0x42], 4);
      if (b.length >= 4 && i % 8 === 0) {
        b[0] = (b[0] as number) & 0x3f;
        b[2] = 0;
        b[3] = (b.length - 20) & 0xfc;
      }
    } else {
      b = (seeds[i % 3] as Uint8Array).slice();
      for (let k = 0; k < 1 + rng.int(4); k++) b[rng.int(b.length)] = rng.int(256);
    }
    assert.doesNotThrow(() => decodeStun(b));
  }
});
