// Issue 21 item 10: the decoder refuses trailing bytes, for every message type of every family
// (core, candidates, relay, server), with and without its optional extensions. Only zero padding may
// follow the fields (requests are padded so no answer outgrows its request); any other byte
// after them is a decode error, never a message that parses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decode,
  encode,
  MAGIC0,
  MAGIC1,
  MAX_DATAGRAM,
  REQUEST_PAD,
  WIRE_VERSION,
} from '../../src/wire/messages.js';
import { WIRE_SAMPLES } from '../support/wire-samples.js';

const samples = WIRE_SAMPLES;

const withTail = (bytes: Uint8Array, tail: number[]): Uint8Array =>
  new Uint8Array([...bytes, ...tail]);

/** The type codes the decoder knows: every header it does not call an unknown type. */
function knownTypeCodes(): number[] {
  const codes: number[] = [];
  for (let c = 0; c < 256; c++) {
    const r = decode(new Uint8Array([MAGIC0, MAGIC1, WIRE_VERSION, c]));
    if (r.ok || !r.error.startsWith('unknown message type')) codes.push(c);
  }
  return codes;
}

test('the samples cover every message type the decoder knows', () => {
  const sampled = new Set(samples.map((m) => encode(m)[3]!));
  const missing = knownTypeCodes().filter((c) => !sampled.has(c));
  assert.deepEqual(missing, [], 'type codes with no sample here: add one');
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
