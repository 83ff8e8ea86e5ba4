// The responder's rules: what it answers, from which endpoint, and what it refuses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ATTR,
  BINDING,
  decodeStun,
  encodeStun,
  type StunMessage,
} from '../../src/discovery/stun-codec.js';
import { SeededRandom } from '../../src/net/virtual/rng.js';
import { PRIMARY, StunResponder, DEFAULT_RESPONDER } from '../../src/discovery/stun-responder.js';

const TX = new Uint8Array(12).fill(7);
const FROM = { ip: '203.0.113.10', port: 40000 };
const TWO = new StunResponder({ ips: ['198.51.100.1', '198.51.100.2'], ports: [3478, 3479] });
const req = (extra: Partial<StunMessage> = {}): Uint8Array =>
  encodeStun({ cls: 'request', method: BINDING, txId: TX, ...extra });
const decoded = (b: Uint8Array): StunMessage => {
  const d = decodeStun(b);
  assert.ok(d.ok);
  return d.msg;
};

test('a Binding request gets XOR-MAPPED, MAPPED, RESPONSE-ORIGIN, OTHER-ADDRESS, FINGERPRINT', () => {
  const r = TWO.handle(req(), FROM, PRIMARY, 0)!;
  assert.deepEqual(r.via, PRIMARY);
  assert.deepEqual(r.to, FROM);
  const m = decoded(r.data);
  assert.equal(m.cls, 'success');
  assert.deepEqual(m.txId, TX);
  assert.deepEqual(m.xorMapped, FROM);
  assert.deepEqual(m.mapped, FROM);
  assert.deepEqual(m.responseOrigin, { ip: '198.51.100.1', port: 3478 });
  assert.deepEqual(m.otherAddress, { ip: '198.51.100.2', port: 3479 });
  assert.equal(m.fingerprint, true);
});

test('CHANGE-REQUEST: the answer leaves from the asked-for endpoint; missing alternates get 420', () => {
  const cases = [
    [
      { ip: true, port: true },
      { ip: 1, port: 1 },
    ],
    [
      { ip: false, port: true },
      { ip: 0, port: 1 },
    ],
    [
      { ip: true, port: false },
      { ip: 1, port: 0 },
    ],
  ] as const;
  for (const [change, via] of cases) {
    const r = TWO.handle(req({ changeRequest: change }), FROM, PRIMARY, 0)!;
    assert.deepEqual(r.via, via);
    assert.deepEqual(decoded(r.data).responseOrigin, TWO.endpoint(via));
  }
  const one = new StunResponder({ ips: ['198.51.100.1'], ports: [3478, 3479] });
  const r = one.handle(req({ changeRequest: { ip: true, port: true } }), FROM, PRIMARY, 0)!;
  const m = decoded(r.data);
  assert.equal(m.cls, 'error');
  assert.equal(m.error?.code, 420);
  assert.deepEqual(m.unknownAttributes, [ATTR.CHANGE_REQUEST]);
  assert.deepEqual(decoded(one.handle(req(), FROM, PRIMARY, 0)!.data).otherAddress, {
    ip: '198.51.100.1',
    port: 3479,
  });
  const single = new StunResponder({ ips: ['198.51.100.1'], ports: [3478] });
  assert.equal(decoded(single.handle(req(), FROM, PRIMARY, 0)!.data).otherAddress, undefined);
});

test('silence for responses, indications, other methods, garbage; 420 for unknown required attributes', () => {
  const s = new StunResponder({ ips: ['198.51.100.1'], ports: [3478] });
  for (const cls of ['success', 'error', 'indication'] as const)
    assert.equal(
      s.handle(encodeStun({ cls, method: BINDING, txId: TX }), FROM, PRIMARY, 0),
      undefined,
    );
  assert.equal(
    s.handle(encodeStun({ cls: 'request', method: 0x003, txId: TX }), FROM, PRIMARY, 0),
    undefined,
  );
  assert.equal(s.handle(new TextEncoder().encode('PH hello'), FROM, PRIMARY, 0), undefined);
  // A request with USERNAME (0x0006): we do no authentication, so 420 naming it.
  const withUser = req({ software: 'x' });
  const b = new Uint8Array(withUser.length + 8);
  b.set(withUser);
  b[3] = (b[3] as number) + 8;
  b.set([0x00, 0x06, 0x00, 0x04, 0x61, 0x62, 0x63, 0x64], withUser.length);
  const m = decoded(s.handle(b, FROM, PRIMARY, 0)!.data);
  assert.equal(m.error?.code, 420);
  assert.deepEqual(m.unknownAttributes, [0x0006]);
});

test('no amplification: an answer is at most the request plus a fixed allowance; PADDING is echoed, not grown', () => {
  const v6 = { ip: '2001:db8::1', port: 1 };
  const s = new StunResponder({ ips: ['2001:db8::a', '2001:db8::b'], ports: [3478, 3479] });
  for (const padding of [undefined, 4, 1500]) {
    const q = req(padding === undefined ? {} : { padding });
    const a = s.handle(q, v6, PRIMARY, 0)!;
    assert.ok(
      a.data.length <= q.length + 160,
      `${a.data.length} bytes for a ${q.length}-byte request`,
    );
    assert.equal(decoded(a.data).padding, decoded(q).padding);
  }
});

test('each source IP is rate limited', () => {
  const s = new StunResponder({ ips: ['198.51.100.1'], ports: [3478] });
  let answered = 0;
  for (let i = 0; i < 1000; i++) if (s.handle(req(), FROM, PRIMARY, 0)) answered++;
  assert.equal(answered, DEFAULT_RESPONDER.rate.burst);
  assert.ok(
    s.handle(req(), { ip: '203.0.113.11', port: 1 }, PRIMARY, 0),
    'another IP is unaffected',
  );
  assert.ok(s.handle(req(), FROM, PRIMARY, 1000), 'tokens come back with time');
});

test('fuzz: mutated requests and odd sources never make the responder throw', () => {
  const rng = new SeededRandom(5);
  const s = new StunResponder({ ips: ['198.51.100.1', '198.51.100.2'], ports: [3478, 3479] });
  const seed = req({ changeRequest: { ip: true, port: true }, padding: 8, responsePort: 9 });
  const sources = [FROM, { ip: 'fe80::1%eth0', port: 1 }, { ip: 'not-an-ip', port: 2 }];
  for (let i = 0; i < 5000; i++) {
    const b = seed.slice();
    for (let k = 0; k < 1 + rng.int(3); k++) b[20 + rng.int(b.length - 20)] = rng.int(256);
    const from = sources[i % 3]!;
    assert.doesNotThrow(() => s.handle(b, from, { ip: rng.int(2) as 0 | 1, port: 0 }, i));
  }
});
