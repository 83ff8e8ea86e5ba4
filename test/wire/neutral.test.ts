// The platform-neutral helpers (issue 18) give the same answers as the Node ones they replace.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { test } from 'node:test';
import * as bytes from '../../src/wire/bytes.js';
import { isIP, isIPv4, isIPv6 } from '../../src/wire/ip.js';

test('isIP/isIPv4/isIPv6 agree with node:net', () => {
  const samples = [
    '1.2.3.4',
    '255.255.255.255',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3',
    '1.2.3.4.5',
    '0.0.0.0',
    '',
    '::',
    '::1',
    '1::',
    'fe80::1%eth0',
    'fe80::1%',
    '::ffff:1.2.3.4',
    '::ffff:1.2.3.256',
    '1:2:3:4:5:6:7:8',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:1.2.3.4',
    '1::2::3',
    ':1',
    '1:',
    '2001:db8::abcd:1',
    '2001:db8:0:0:0:0:2:1',
    'g::1',
    '12345::1',
    'localhost',
    '[::1]',
    '1:2:3:4:5:6:7::',
    '::2:3:4:5:6:7:8',
    '1:2:3:4:5:6:7:8::',
    'ABCD::EF01',
  ];
  for (const s of samples) {
    assert.equal(isIPv4(s), net.isIPv4(s), `isIPv4(${s})`);
    assert.equal(isIPv6(s), net.isIPv6(s), `isIPv6(${s})`);
    assert.equal(isIP(s), net.isIP(s), `isIP(${s})`);
  }
});

test('bytes helpers match Buffer on random input', () => {
  for (let i = 0; i < 200; i++) {
    const b = new Uint8Array(randomBytes(i % 37));
    assert.equal(bytes.toHex(b), Buffer.from(b).toString('hex'));
    assert.deepEqual(bytes.fromHex(bytes.toHex(b)), b);
    assert.equal(bytes.toBase64Url(b), Buffer.from(b).toString('base64url'));
    assert.deepEqual(bytes.fromBase64Url(bytes.toBase64Url(b)), b);
    assert.deepEqual(bytes.fromBase64Url(Buffer.from(b).toString('base64')), b);
    assert.equal(bytes.fromLatin1(b), Buffer.from(b).toString('latin1'));
    assert.deepEqual(bytes.latin1(bytes.fromLatin1(b)), b);
    assert.equal(bytes.fromUtf8(b), Buffer.from(b).toString('utf8'));
  }
  assert.throws(() => bytes.fromHex('abc'), RangeError);
  assert.throws(() => bytes.fromHex('zz'), RangeError);
  assert.throws(() => bytes.fromBase64Url('a*b'), RangeError);
});
