// The issue-13 messages: round trips, sizes, and hostile bytes refused with a typed error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CANDIDATES_PAD, MAX_CANDIDATES, type Candidate } from '../../src/wire/candidates.js';
import { decode, encode, type Message } from '../../src/wire/messages.js';

const V6 = (n: number): Candidate => ({
  kind: 'ipv6',
  addr: { ip: `2001:db8::${n}`, port: 40000 + n },
});
const MAPPED: Candidate = { kind: 'mapped', addr: { ip: '203.0.113.5', port: 7401 } };
const S = '0011223344556677';

const samples: Message[] = [
  { type: 'candidates', tx: 1, homeId: 'h', list: [MAPPED, V6(1)] },
  {
    type: 'candidatesQuery',
    tx: 2,
    homeId: 'h',
    session: S,
    list: [V6(2)],
    auth: new Uint8Array([1, 2, 3]),
  },
  { type: 'peerCandidates', tx: 3, session: S, list: [] },
  { type: 'mapCheck', tx: 4, homeId: 'h', external: MAPPED.addr, nonce: 'a1b2c3d4e5f60718' },
  { type: 'mapNonce', nonce: 'a1b2c3d4e5f60718' },
];

test('candidates messages: every one round-trips', () => {
  for (const m of samples) assert.deepEqual(decode(encode(m)), { ok: true, msg: m }, m.type);
});

test('candidates: the largest answer fits the padded query (no amplification)', () => {
  const list = Array.from({ length: MAX_CANDIDATES }, (_, i) => V6(i + 1));
  const answer = encode({ type: 'peerCandidates', tx: 1, session: S, list });
  const query = encode(
    { type: 'candidatesQuery', tx: 1, homeId: 'h', session: S, list: [], auth: new Uint8Array() },
    CANDIDATES_PAD,
  );
  assert.ok(answer.length <= query.length, `${answer.length} > ${query.length}`);
});

test('candidates: encode drops invalid entries and cuts the list at the maximum', () => {
  const bad: Candidate[] = [
    { kind: 'mapped', addr: { ip: '2001:db8::1', port: 1 } },
    { kind: 'ipv6', addr: { ip: '198.51.100.1', port: 1 } },
    { kind: 'ipv6', addr: { ip: '2001:db8::1', port: 0 } },
  ];
  const list = [...bad, ...Array.from({ length: 9 }, (_, i) => V6(i + 1))];
  const r = decode(encode({ type: 'candidates', tx: 1, homeId: 'h', list }));
  assert.ok(r.ok && r.msg.type === 'candidates');
  assert.equal(r.msg.list.length, MAX_CANDIDATES);
  assert.ok(r.msg.list.every((c) => c.kind === 'ipv6' && c.addr.port > 0));
});

/** Encodes `candidates` with one hand-built entry after the count byte. */
function withEntry(count: number, entry: number[]): Uint8Array {
  const head = encode({ type: 'candidates', tx: 1, homeId: 'h', list: [] });
  const out = new Uint8Array(head.length + entry.length);
  out.set(head);
  out[head.length - 1] = count;
  out.set(entry, head.length);
  return out;
}
const v4 = (kind: number, port: number) => [kind, 4, 203, 0, 113, 5, port >> 8, port & 255];
const v6 = (kind: number, prefix: number[]) => [
  kind,
  6,
  ...prefix,
  ...new Array<number>(16 - prefix.length)
    .fill(0)
    .map((_, i) => (i === 15 - prefix.length ? 1 : 0)),
  0x1f,
  0x40,
];

test('candidates: hostile bytes are refused, never thrown', () => {
  const cases: Array<[string, Uint8Array]> = [
    ['too many', withEntry(MAX_CANDIDATES + 1, [])],
    ['unknown kind', withEntry(1, v4(7, 80))],
    ['mapped v6', withEntry(1, v6(0, [0x20, 0x01, 0x0d, 0xb8]))],
    ['ipv6 given v4', withEntry(1, v4(1, 80))],
    ['v4-mapped ipv6', withEntry(1, v6(1, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]))],
    ['port zero', withEntry(1, v4(0, 0))],
    ['truncated', withEntry(1, v4(0, 80).slice(0, 5))],
    ['trailing', withEntry(1, [...v4(0, 80), 9])],
    ['count says 2, one entry', withEntry(2, v4(0, 80))],
  ];
  for (const [what, bytes] of cases) {
    const r = decode(bytes);
    assert.equal(r.ok, false, what);
  }
  assert.equal(decode(withEntry(1, v4(0, 80))).ok, true, 'the well-formed control');
  const check = encode({
    type: 'mapCheck',
    tx: 1,
    homeId: 'h',
    external: MAPPED.addr,
    nonce: '00'.repeat(8),
  });
  const asV6 = encode({
    type: 'mapCheck',
    tx: 1,
    homeId: 'h',
    external: { ip: '2001:db8::1', port: 1 },
    nonce: '00'.repeat(8),
  });
  assert.equal(decode(check).ok, true);
  assert.equal(decode(asV6).ok, false, 'a mapped address is IPv4');
});
