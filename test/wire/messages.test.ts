import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decode,
  encode,
  ErrorCode,
  MAX_DATAGRAM,
  MAX_RELAY_DATAGRAM,
  type Message,
} from '../../src/wire/messages.js';
import { formatAddr, parseAddr } from '../../src/wire/addr.js';
import { flipBits, SeqRandom } from '../support/fakes.js';

const a4 = { ip: '203.0.113.7', port: 40001 };
const a6 = { ip: '2001:db8::1', port: 7 };
const session = '0123456789abcdef';
const auth = new Uint8Array([1, 2, 3]);

const samples: Message[] = [
  { type: 'register', tx: 1, homeId: 'home-1', locals: [], auth },
  { type: 'registered', tx: 2, observed: a4, ttlMs: 90000 },
  { type: 'keepalive', tx: 3, homeId: 'h' },
  { type: 'keepaliveAck', tx: 0xffffffff, observed: a6 },
  { type: 'assist', mode: 'patent', tx: 4, homeId: 'h.x_y-z', session, auth: new Uint8Array(0) },
  { type: 'assistAck', tx: 5, session, observed: a4 },
  { type: 'peerInfo', mode: 'patent', tx: 6, session, client: a6, auth },
  { type: 'sprayDone', tx: 7, session, sprayed: 501 },
  { type: 'sprayDoneAck', tx: 8, session },
  { type: 'ready', mode: 'patent', tx: 9, session, home: a4, locals: [] },
  { type: 'addrQuery', tx: 10, homeId: 'h' },
  { type: 'addrReply', tx: 11, homeId: 'h', home: a4 },
  { type: 'probe', tx: 12, homeId: 'h', session },
  { type: 'probeReply', tx: 13, session },
  { type: 'punch', session },
  { type: 'data', payload: new Uint8Array(1100).fill(7) },
  { type: 'error', tx: 14, code: ErrorCode.UnknownHome, message: 'home h is not registered' },
  { type: 'hopProbe', tx: 15, ttl: 3 },
  { type: 'hopReply', tx: 16, ttl: 255 },
  { type: 'observe', tx: 17 },
  { type: 'observed', tx: 18, addr: a6 },
  {
    type: 'refuse',
    tx: 19,
    session,
    code: ErrorCode.Unauthorized,
    message: 'client is not paired',
  },
];

test('every message type round-trips', () => {
  for (const m of samples) {
    const r = decode(encode(m));
    assert.ok(r.ok, `${m.type}: ${r.ok ? '' : r.error}`);
    assert.deepEqual(r.msg, m);
  }
});

test('truncation at every length is a typed error, never an exception', () => {
  for (const m of samples) {
    const bytes = encode(m);
    for (let n = 0; n < bytes.length; n++) {
      const r = decode(bytes.subarray(0, n));
      assert.equal(r.ok, false, `${m.type} truncated to ${n} bytes decoded`);
    }
  }
});

test('trailing bytes, bad magic, version, type, oversize and bad fields are rejected', () => {
  const good = encode(samples[0]!);
  // (a 1 starts the NAT extension of wire/nat-ext.ts, which is then truncated)
  assert.match(reject(new Uint8Array([...good, 1])), /truncated/);
  assert.match(reject(new Uint8Array([...good, 2])), /trailing/);
  assert.match(reject(new Uint8Array([...good, 0, 0, 7])), /trailing/);
  // Zero padding is allowed (requests are padded against amplification).
  const padded = encode(samples[0]!, 200);
  assert.equal(padded.length, 200);
  assert.deepEqual(decode(padded), { ok: true, msg: samples[0] });
  assert.match(reject(new Uint8Array([0x51, ...good.subarray(1)])), /magic/);
  assert.match(reject(new Uint8Array([...good.subarray(0, 2), 9, ...good.subarray(3)])), /version/);
  assert.match(
    reject(new Uint8Array([...good.subarray(0, 3), 200, ...good.subarray(4)])),
    /unknown message type/,
  );
  assert.match(reject(new Uint8Array(MAX_RELAY_DATAGRAM + 1)), /oversized/);
  // Only relayData may exceed MAX_DATAGRAM (docs/seams.md §8): a padded register of 1,201 may not.
  const long = new Uint8Array(MAX_DATAGRAM + 1);
  long.set(good);
  assert.match(reject(long), /oversized register/);
  // home id with a space
  const bad = encode({ type: 'keepalive', tx: 1, homeId: 'ab' });
  bad[bad.length - 1] = 0x20;
  assert.match(reject(bad), /alphabet/);
  // unknown error code
  const err = encode({ type: 'error', tx: 1, code: ErrorCode.Busy, message: '' });
  err[8] = 99;
  assert.match(reject(err), /error code/);
  // unknown address family
  const reg = encode({ type: 'registered', tx: 1, observed: a4, ttlMs: 1 });
  reg[8] = 5;
  assert.match(reject(reg), /family/);
});

test('random and bit-flipped datagrams never throw', () => {
  const rng = new SeqRandom(42);
  for (let i = 0; i < 20000; i++) {
    let bytes: Uint8Array;
    if (i % 2 === 0) {
      bytes = rng.bytes(rng.int(80));
      if (i % 4 === 0 && bytes.length >= 4) {
        bytes[0] = 0x50;
        bytes[1] = 0x48;
        bytes[2] = 1;
        bytes[3] = 1 + rng.int(17);
      }
    } else {
      bytes = encode(samples[rng.int(samples.length)]!).slice();
      flipBits(rng, bytes, 1 + rng.int(3));
    }
    const r = decode(bytes);
    if (r.ok) assert.doesNotThrow(() => encode(r.msg));
  }
});

test('addresses parse strictly and format back', () => {
  assert.deepEqual(parseAddr('127.0.0.1:7000'), { ip: '127.0.0.1', port: 7000 });
  assert.deepEqual(parseAddr('[2001:db8::1]:53'), { ip: '2001:db8::1', port: 53 });
  assert.equal(formatAddr({ ip: '2001:db8::1', port: 53 }), '[2001:db8::1]:53');
  for (const bad of [
    '127.0.0.1',
    '127.0.0.1:0',
    '127.0.0.1:70000',
    'example.com:80',
    '1.2.3:4',
    '',
  ]) {
    assert.throws(() => parseAddr(bad), /address|port|IP/);
  }
  assert.deepEqual(parseAddr('0.0.0.0:0', { allowPortZero: true }), { ip: '0.0.0.0', port: 0 });
});

function reject(b: Uint8Array): string {
  const r = decode(b);
  assert.equal(r.ok, false);
  return r.ok ? '' : r.error;
}
