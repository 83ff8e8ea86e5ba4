// Issue 21 item 10: the decoder refuses trailing bytes, for every message type of every family
// (core, candidates, relay), with and without its optional extensions. Only zero padding may
// follow the fields (requests are padded so no answer outgrows its request); any other byte
// after them is a decode error, never a message that parses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CANDIDATE_TYPE_CODES } from '../../src/wire/candidates.js';
import { CORE_TYPE_CODES } from '../../src/wire/core-messages.js';
import {
  decode,
  encode,
  ErrorCode,
  MAX_DATAGRAM,
  REQUEST_PAD,
  type Message,
} from '../../src/wire/messages.js';
import { RELAY_TYPE_CODES, RelayCloseCode } from '../../src/wire/relay-messages.js';

const a4 = { ip: '203.0.113.7', port: 40001 };
const a6 = { ip: '2001:db8::1', port: 7 };
const session = '0123456789abcdef';
const auth = new Uint8Array([1, 2, 3]);
const nat = { mapping: 3, filtering: 3, allocation: 2, delta: -2 };

/** At least one of every type; the optional trailing extensions both absent and present. */
const samples: Message[] = [
  { type: 'register', tx: 1, homeId: 'home-1', locals: [a4], auth },
  { type: 'register', tx: 1, homeId: 'home-1', locals: [], auth, nat },
  { type: 'registered', tx: 2, observed: a4, ttlMs: 90000 },
  { type: 'keepalive', tx: 3, homeId: 'h' },
  { type: 'keepaliveAck', tx: 0xffffffff, observed: a6 },
  { type: 'assist', mode: 'patent', tx: 4, homeId: 'h', session, auth: new Uint8Array(0) },
  { type: 'assist', mode: 'knock', tx: 4, homeId: 'h', session, auth, nat, tried: 3 },
  { type: 'assistAck', tx: 5, session, observed: a4 },
  { type: 'peerInfo', mode: 'patent', tx: 6, session, client: a6, auth },
  { type: 'peerInfo', mode: 'reverse', tx: 6, session, client: a4, auth, clientNat: nat },
  { type: 'sprayDone', tx: 7, session, sprayed: 501 },
  { type: 'sprayDoneAck', tx: 8, session },
  { type: 'ready', mode: 'patent', tx: 9, session, home: a4, locals: [] },
  { type: 'ready', mode: 'predict', tx: 9, session, home: a4, locals: [a6], homeNat: nat },
  { type: 'addrQuery', tx: 10, homeId: 'h' },
  { type: 'addrReply', tx: 11, homeId: 'h', home: a4 },
  { type: 'probe', tx: 12, homeId: 'h', session },
  { type: 'probeReply', tx: 13, session },
  { type: 'punch', session },
  { type: 'data', payload: new Uint8Array(0) },
  { type: 'data', payload: new Uint8Array(1100).fill(7) },
  { type: 'error', tx: 14, code: ErrorCode.UnknownHome, message: 'home h is not registered' },
  { type: 'hopProbe', tx: 15, ttl: 3 },
  { type: 'hopReply', tx: 16, ttl: 255 },
  { type: 'observe', tx: 17 },
  { type: 'observed', tx: 18, addr: a6 },
  { type: 'refuse', tx: 19, session, code: ErrorCode.Unauthorized, message: 'not paired' },
  {
    type: 'candidates',
    tx: 20,
    homeId: 'h',
    list: [
      { kind: 'mapped', addr: a4 },
      { kind: 'ipv6', addr: { ip: '2001:db8::2', port: 40002 } },
    ],
  },
  { type: 'candidatesQuery', tx: 21, homeId: 'h', session, list: [], auth },
  { type: 'peerCandidates', tx: 22, session, list: [] },
  { type: 'mapCheck', tx: 23, homeId: 'h', external: a4, nonce: 'a1b2c3d4e5f60718' },
  { type: 'mapNonce', nonce: 'a1b2c3d4e5f60718' },
  { type: 'relayOpen', tx: 24, homeId: 'ph-abc', session, auth, early: new Uint8Array(0) },
  { type: 'relayOpen', tx: 24, homeId: 'ph-abc', session, auth, early: new Uint8Array(9).fill(1) },
  { type: 'relayOffer', tx: 25, session, client: a6, auth, early: new Uint8Array(20).fill(2) },
  { type: 'relayAccept', tx: 26, session },
  { type: 'relayRefuse', tx: 27, session, message: 'this client is not paired' },
  { type: 'relayReady', tx: 28, session },
  { type: 'relayClosed', session, code: RelayCloseCode.ByteCap, message: 'over 4194304 bytes' },
  { type: 'relayData', session, payload: new Uint8Array(0) },
  { type: 'relayData', session, payload: new Uint8Array(1100).fill(3) },
  { type: 'relayRedirect', tx: 29, session, relay: a6, tcpPort: 443, wsPort: 0 },
  { type: 'relayNode', tx: 30, relay: { ip: '198.51.100.7', port: 7410 } },
];

const withTail = (bytes: Uint8Array, tail: number[]): Uint8Array =>
  new Uint8Array([...bytes, ...tail]);

test('the samples cover every message type of every family', () => {
  const all = [CORE_TYPE_CODES, CANDIDATE_TYPE_CODES, RELAY_TYPE_CODES].flatMap((codes) =>
    Object.keys(codes),
  );
  assert.deepEqual([...new Set(samples.map((m) => m.type))].sort(), all.sort());
  for (const m of samples) assert.deepEqual(decode(encode(m)), { ok: true, msg: m }, m.type);
});

test('one non-zero byte after the fields is refused, for every message type', () => {
  // 1 is also the NAT extension's marker: a lone one is a truncated extension, still an error.
  for (const m of samples) {
    const bytes = encode(m);
    for (const b of [0x01, 0x02, 0x50, 0x80, 0xff]) {
      const r = decode(withTail(bytes, [b]));
      assert.equal(r.ok, false, `${m.type} + ${b} decoded: ${JSON.stringify(r)}`);
      assert.ok(!r.ok && r.error.startsWith(`${m.type}: `), `${m.type}: ${!r.ok && r.error}`);
    }
  }
});

test('a non-zero byte after zero padding is refused; zero padding alone is not', () => {
  for (const m of samples) {
    const bytes = encode(m);
    assert.deepEqual(decode(withTail(bytes, [0, 0, 0])), { ok: true, msg: m }, m.type);
    assert.equal(decode(withTail(bytes, [0, 0, 0, 7])).ok, false, m.type);
    // A padded request (as sent to the rendezvous) with its last byte changed.
    const padded = encode(m, Math.max(REQUEST_PAD, bytes.length + 8)).slice();
    assert.ok(padded.length <= MAX_DATAGRAM);
    padded[padded.length - 1] = 0x01;
    assert.equal(decode(padded).ok, false, `${m.type} padded`);
  }
});
