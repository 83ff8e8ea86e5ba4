import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decode,
  encode,
  MAX_DATAGRAM,
  MAX_RELAY_DATAGRAM,
  REQUEST_PAD,
  type Message,
} from '../../src/wire/messages.js';
import { MAX_RELAY_PAYLOAD, RelayCloseCode } from '../../src/wire/relay-messages.js';
import { generateIdentity } from '../../src/secure/keys.js';
import { relayAuth, verifyAssist, verifyRelay } from '../../src/secure/auth.js';
import { flipBits, SeqRandom } from '../support/fakes.js';

const session = '0123456789abcdef';
const auth = new Uint8Array(160).fill(9);

const samples: Message[] = [
  { type: 'relayOpen', tx: 1, homeId: 'ph-abc', session, auth, early: new Uint8Array(0) },
  { type: 'relayOpen', tx: 1, homeId: 'ph-abc', session, auth, early: new Uint8Array(512).fill(1) },
  {
    type: 'relayOffer',
    tx: 2,
    session,
    client: { ip: '2001:db8::1', port: 7 },
    auth,
    early: new Uint8Array(200).fill(2),
  },
  { type: 'relayAccept', tx: 3, session },
  { type: 'relayRefuse', tx: 4, session, message: 'this client is not paired' },
  { type: 'relayReady', tx: 0xffffffff, session },
  { type: 'relayClosed', session, code: RelayCloseCode.ByteCap, message: 'over 4194304 bytes' },
  { type: 'relayData', session, payload: new Uint8Array(MAX_RELAY_PAYLOAD).fill(3) },
  { type: 'relayData', session, payload: new Uint8Array(0) },
  {
    type: 'relayRedirect',
    tx: 5,
    session,
    relay: { ip: '2001:db8::7', port: 7410 },
    tcpPort: 443,
    wsPort: 0,
  },
  { type: 'relayNode', tx: 6, relay: { ip: '198.51.100.7', port: 7410 } },
];

const of = (t: Message['type'], i = 0): Message => samples.filter((m) => m.type === t)[i]!;
const bigData = of('relayData');
const closedMsg = of('relayClosed');

test('relay messages round-trip in the one codec, padded or not', () => {
  for (const m of samples) {
    for (const pad of [0, REQUEST_PAD]) {
      const r = decode(encode(m, pad));
      assert.ok(r.ok, `${m.type}: ${r.ok ? '' : r.error}`);
      assert.deepEqual(r.msg, m);
    }
  }
  // A redirect answers a (padded) relayOpen: never larger than it, even over IPv6.
  assert.ok(encode(of('relayRedirect')).length <= REQUEST_PAD);
  assert.ok(encode(of('relayNode')).length + 40 <= REQUEST_PAD, 'relayNode + keepaliveAck');
  // A full relayed frame (1,400) fits a 1,500-byte MTU under IPv6 + UDP headers (1,452); it is
  // the only message allowed over MAX_DATAGRAM.
  assert.equal(encode(bigData).length, MAX_RELAY_DATAGRAM);
  assert.ok(MAX_RELAY_PAYLOAD === 1400 && MAX_RELAY_DATAGRAM <= 1452 && MAX_DATAGRAM === 1200);
});

test('relay messages: truncation, bad close codes, oversize payloads are typed errors', () => {
  for (const m of samples) {
    const bytes = encode(m);
    for (let n = 0; n < bytes.length; n++) assert.equal(decode(bytes.subarray(0, n)).ok, false);
  }
  const closed = encode(closedMsg);
  closed[4 + 8] = 200;
  const r = decode(closed);
  assert.ok(!r.ok && /close code/.test(r.error));
  const big = encode(bigData).slice();
  big[4 + 8 + 1] = 0x79; // length 0x0579 (1,401) > MAX_RELAY_PAYLOAD
  assert.equal(decode(new Uint8Array([...big, 0])).ok, false);
  assert.equal(decode(new Uint8Array([...encode(bigData), 0])).ok, false, 'one byte too many');
  // Trailing bytes after a relayData are refused, not read as padding of another frame.
  const short = encode({ type: 'relayData', session, payload: new Uint8Array([1, 2]) });
  const r2 = decode(new Uint8Array([...short, 7]));
  assert.ok(!r2.ok && /trailing/.test(r2.error));
  assert.throws(() =>
    encode({ type: 'relayData', session, payload: new Uint8Array(MAX_RELAY_PAYLOAD + 1) }),
  );
});

test('random and bit-flipped relay datagrams never throw', () => {
  const rng = new SeqRandom(7);
  for (let i = 0; i < 20000; i++) {
    const bytes = encode(samples[rng.int(samples.length)]!).slice();
    flipBits(rng, bytes, 1 + rng.int(3));
    const r = decode(bytes);
    if (r.ok) assert.doesNotThrow(() => encode(r.msg));
  }
});

test('relay auth: verifies for its session only, and is not an assist proof', () => {
  const id = generateIdentity();
  const a = relayAuth(id, { homeId: 'ph-home', session, now: 1000 });
  assert.ok(verifyRelay('ph-home', session, a).ok);
  assert.equal(verifyRelay('ph-home', 'fedcba9876543210', a).ok, false);
  assert.equal(verifyRelay('ph-other', session, a).ok, false);
  assert.equal(verifyAssist('ph-home', session, { ip: '0.0.0.0', port: 0 }, a).ok, false);
});
