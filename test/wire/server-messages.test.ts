// Issue 21's own messages (wire/server-messages.ts): new type codes 49–52, strict like the rest —
// round-trip, truncation and trailing bytes refused, URLs bounded, serverInfo never larger than
// the padded infoQuery it answers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode, encode, ErrorCode, type Message } from '../../src/wire/messages.js';
import { INFO_PAD, MAX_URL, SERVER_TYPE_CODES } from '../../src/wire/server-messages.js';

const url = `wss://${'r'.repeat(MAX_URL - 16)}/porthole`;
const samples: Message[] = [
  { type: 'infoQuery', tx: 1 },
  { type: 'serverInfo', tx: 2, tcpPort: 7400, wsUrl: '', appUrl: '' },
  {
    type: 'serverInfo',
    tx: 3,
    tcpPort: 0,
    wsUrl: url,
    appUrl: `https://${'a'.repeat(MAX_URL - 8)}`,
  },
  { type: 'deregister', tx: 4, homeId: 'ph-abc', auth: new Uint8Array(164).fill(7) },
  { type: 'deregistered', tx: 5 },
];

test('serverInfo, infoQuery, deregister, deregistered: round-trip, strict, bounded', () => {
  assert.deepEqual(SERVER_TYPE_CODES, {
    serverInfo: 49,
    infoQuery: 50,
    deregister: 51,
    deregistered: 52,
  });
  for (const m of samples) {
    const bytes = encode(m);
    assert.deepEqual(decode(bytes), { ok: true, msg: m });
    for (let n = 0; n < bytes.length; n++) assert.equal(decode(bytes.subarray(0, n)).ok, false);
    const r = decode(new Uint8Array([...bytes, 5]));
    assert.ok(!r.ok && /trailing/.test(r.error), m.type);
  }
  // The largest answer fits the padded question (no amplification).
  assert.ok(encode(samples[2]!).length <= encode({ type: 'infoQuery', tx: 1 }, INFO_PAD).length);
  assert.throws(() =>
    encode({ type: 'serverInfo', tx: 1, tcpPort: 1, wsUrl: 'x'.repeat(MAX_URL + 1), appUrl: '' }),
  );
  assert.throws(() =>
    encode({ type: 'serverInfo', tx: 1, tcpPort: 1, wsUrl: 'ws://a b', appUrl: '' }),
  );
  // The new error code reads; an older peer's decoder refuses it (drops the message).
  const err = decode(encode({ type: 'error', tx: 1, code: ErrorCode.HomeOffline, message: 'x' }));
  assert.ok(err.ok && err.msg.type === 'error' && err.msg.code === ErrorCode.HomeOffline);
});
