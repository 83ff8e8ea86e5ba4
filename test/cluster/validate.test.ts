import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  encodeEntry,
  encodeEnvelope,
  parseEntry,
  parseEnvelope,
  parseNode,
} from '../../src/rendezvous/cluster/validate.js';

const now = 1_700_000_000_000;

test('directory entries round-trip and are checked field by field', () => {
  const e = { node: 'n1', addr: { ip: '203.0.113.5', port: 7400 }, expiresAt: now + 90_000 };
  assert.deepEqual(parseEntry(encodeEntry(e), now, 90_000), e);
  assert.equal(parseEntry(encodeEntry({ ...e, expiresAt: now - 3_600_000 }), now, 90_000), null);
  assert.equal(parseEntry(encodeEntry({ ...e, expiresAt: now + 3_600_000 }), now, 90_000), null);
  assert.equal(parseEntry(encodeEntry({ ...e, node: '../x y' }), now, 90_000), null);
  assert.equal(parseEntry('{"n":"n1","a":"203.0.113.5:7400","x":"soon"}', now, 90_000), null);
  assert.equal(parseEntry(42, now, 90_000), null);
  assert.equal(parseEntry('{'.repeat(300), now, 90_000), null);
  assert.equal(parseNode('{"n":"n1","a":"[2001:db8::1]:7400"}')?.addr.ip, '2001:db8::1');
  assert.equal(parseNode('{"n":"n1","a":"host:7400"}'), null);
});

test('envelopes round-trip; answers must carry an answer type for the same session', () => {
  const msg = {
    type: 'assist' as const,
    tx: 7,
    homeId: 'h1',
    session: '0123456789abcdef',
    mode: 'patent' as const,
    auth: Buffer.from([1, 2, 3]),
  };
  const req = {
    kind: 'assist' as const,
    from: 'a',
    client: { ip: '198.51.100.7', port: 40001 },
    size: 128,
    msg,
  };
  assert.deepEqual(parseEnvelope(encodeEnvelope(req)), req);
  const ack = {
    kind: 'reply' as const,
    from: 'b',
    session: msg.session,
    msg: { type: 'assistAck' as const, tx: 7, session: msg.session, observed: req.client },
  };
  assert.deepEqual(parseEnvelope(encodeEnvelope(ack)), ack);
  assert.equal(parseEnvelope(encodeEnvelope({ ...ack, session: 'ffffffffffffffff' })), null);
  // A request that is not an assist (here: a register) is refused.
  const reg = encodeEnvelope(req).replace(/"b":"[^"]+"/, '"b":"UEgBAQAAAAECaDEAAA=="');
  assert.equal(parseEnvelope(reg), null);
  assert.equal(parseEnvelope(encodeEnvelope(req).replace('"v":1', '"v":2')), null);
});

test('moved notices carry a valid node and home id', () => {
  const m = { kind: 'moved' as const, from: 'b', homeId: 'h1' };
  assert.deepEqual(parseEnvelope(encodeEnvelope(m)), m);
  assert.equal(parseEnvelope(encodeEnvelope({ ...m, homeId: 'h 1/../x' })), null);
  assert.equal(parseEnvelope('{"v":1,"k":"moved","f":"b"}'), null);
});
