import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decode,
  encode,
  modeMask,
  modesOf,
  REQUEST_PAD,
  type Message,
} from '../../src/wire/messages.js';
import { natFromWire, natToWire } from '../../src/discovery/nat-class.js';

const nat = { mapping: 3, filtering: 3, allocation: 2, delta: -2 };
const a = { ip: '203.0.113.7', port: 40001 };
const session = '0123456789abcdef';
const base = {
  register: { type: 'register', tx: 1, homeId: 'h', locals: [], auth: new Uint8Array(0) },
  assist: { type: 'assist', tx: 2, homeId: 'h', session, mode: 'patent', auth: new Uint8Array(0) },
  peerInfo: { type: 'peerInfo', tx: 3, session, client: a, mode: 'knock', auth: new Uint8Array(0) },
  ready: { type: 'ready', tx: 4, session, home: a, locals: [], mode: 'predict' },
} as const satisfies Record<string, Message>;

test('without the NAT extension the bytes are those of before (old peers parse them)', () => {
  const old = encode({ ...base.register });
  // The first version's register: header, tx, id, empty locals, empty auth; nothing more.
  assert.equal(old.length, 4 + 4 + 2 + 1 + 1);
  for (const m of Object.values(base)) {
    const r = decode(encode(m, REQUEST_PAD));
    assert.deepEqual(r.ok && r.msg, m);
  }
});

test('the NAT extension round-trips on register, assist (with tried), peerInfo and ready', () => {
  const withNat: Message[] = [
    { ...base.register, nat },
    { ...base.assist, nat, tried: modeMask(['knock', 'patent']) },
    { ...base.peerInfo, clientNat: nat },
    { ...base.ready, homeNat: nat },
  ];
  for (const m of withNat) {
    const r = decode(encode(m, REQUEST_PAD));
    assert.deepEqual(r.ok && r.msg, m, m.type);
  }
  assert.deepEqual(modesOf(modeMask(['knock', 'patent'])), ['patent', 'knock']);
});

test('the class survives the wire; unknown values from a newer peer read as unknown', () => {
  const c = {
    mapping: 'address-port',
    filtering: 'address',
    allocation: 'sequential',
    delta: 2,
  } as const;
  assert.deepEqual(natFromWire(natToWire(c)), c);
  assert.deepEqual(natFromWire({ mapping: 9, filtering: 1, allocation: 0, delta: 0 }), {
    mapping: 'unknown',
    filtering: 'independent',
    allocation: 'unknown',
  });
  assert.equal(natFromWire(undefined).mapping, 'unknown');
});
