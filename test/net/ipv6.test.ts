import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  canonical,
  classifyIpv6,
  parseIfInet6,
  usableIpv6,
  type InterfaceTable,
} from '../../src/net/ipv6.js';

const v6 = (address: string, internal = false) => ({ address, family: 'IPv6', internal });
const v4 = (address: string) => ({ address, family: 'IPv4', internal: false });

const ips = (table: InterfaceTable, opts = {}) => usableIpv6(table, opts).map((c) => c.ip);

test('ipv6: only global unicast survives a typical host table', () => {
  const table: InterfaceTable = {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }, v6('::1', true)],
    eth0: [
      v4('192.168.1.20'),
      v6('fe80::1c2:3ff:fe44:5566'),
      v6('2a01:4f8:1:2::20'),
      v6('fd12:3456:789a::20'),
      v6('::ffff:192.168.1.20'),
      v6('ff02::1'),
      v6('::'),
      v6('fec0::1'),
    ],
  };
  assert.deepEqual(usableIpv6(table), [{ ip: '2a01:4f8:1:2::20', iface: 'eth0', scope: 'global' }]);
});

test('ipv6: documentation prefix only with allowDocumentation (the lab)', () => {
  const table = { eth0: [v6('2001:db8:1:1::2')] };
  assert.deepEqual(ips(table), []);
  assert.deepEqual(ips(table, { allowDocumentation: true }), ['2001:db8:1:1::2']);
  // Just outside 2001:db8::/32 is global.
  assert.deepEqual(ips({ eth0: [v6('2001:db9::1')] }), ['2001:db9::1']);
});

test('ipv6: ULA only when the peer shares its /48', () => {
  const table = { eth0: [v6('fd12:3456:789a:1::20')] };
  assert.deepEqual(ips(table), []);
  assert.deepEqual(ips(table, { peer: 'fd12:3456:789a:ff::9' }), ['fd12:3456:789a:1::20']);
  assert.deepEqual(ips(table, { peer: 'fd12:3456:789b:1::9' }), []);
  assert.deepEqual(ips(table, { peer: 'not an address' }), []);
  assert.equal(classifyIpv6('fd12:3456:789a:1::20', { peer: 'fd12:3456:789a::1' }), 'ula');
});

test('ipv6: Teredo, ORCHID and benchmarking ranges are not native paths', () => {
  for (const ip of ['2001:0:4136:e378::1', '2001:2::1', '2001:10::1', '2001:20::1'])
    assert.equal(classifyIpv6(ip), null, ip);
});

test('ipv6: hostile and odd entries are skipped, never thrown on', () => {
  const table = {
    a: [
      null,
      42,
      'x',
      { address: 7, family: 'IPv6', internal: false },
      { address: '2a01::1', family: 'IPv6' }, // internal missing: not known to be external
      { address: '2a01::2', family: 'ipv6', internal: false }, // wrong case: not Node's spelling
      { address: '2a01::3%eth0', family: 'IPv6', internal: false },
      { address: '2a01::4' + 'f'.repeat(100), family: 'IPv6', internal: false },
      { address: '2a01:::5', family: 'IPv6', internal: false },
      { address: ' 2a01::6', family: 'IPv6', internal: false },
      { address: '2a01::7', family: 6, internal: false }, // Node 18.0-18.3 spelled family as 6
    ],
    b: undefined,
    c: 'not a list',
  } as unknown as InterfaceTable;
  assert.deepEqual(ips(table), ['2a01::7']);
  assert.deepEqual(usableIpv6(null as unknown as InterfaceTable), []);
});

test('ipv6: duplicates (other spellings too) collapse, max bounds the list', () => {
  const table = {
    eth0: [v6('2A01:4F8::1'), v6('2a01:4f8:0:0::1'), v6('2a01:4f8::2'), v6('2a01:4f8::3')],
    wlan0: [v6('2a01:4f8::1'), v6('2a01:4f8::4'), v6('2a01:4f8::5')],
  };
  assert.deepEqual(ips(table), ['2a01:4f8::1', '2a01:4f8::2', '2a01:4f8::3', '2a01:4f8::4']);
  assert.deepEqual(ips(table, { max: 2 }), ['2a01:4f8::1', '2a01:4f8::2']);
  assert.deepEqual(ips(table, { max: -3 }), []);
  assert.equal(ips(table, { max: Number.NaN }).length, 4);
  const many = { eth0: Array.from({ length: 5000 }, () => v6('fe80::1')) };
  assert.deepEqual(ips(many), []); // bounded scan of a huge table
});

test('ipv6: /proc/net/if_inet6 flags drop temporary, deprecated, tentative, DAD-failed', () => {
  const proc = [
    '2a0100000000000000000000000000aa 02 40 00 00     eth0', // stable
    '2a0100000000000000000000000000bb 02 40 00 01     eth0', // temporary
    '2a0100000000000000000000000000cc 02 40 00 20     eth0', // deprecated
    '2a0100000000000000000000000000dd 02 40 00 40     eth0', // tentative
    '2a0100000000000000000000000000ee 02 40 00 08     eth0', // dadfailed
    'garbage line',
    'zz0100000000000000000000000000ee 02 40 00 08     eth0',
    '',
  ].join('\n');
  const flags = parseIfInet6(proc);
  assert.equal(flags.size, 5);
  assert.equal(flags.get('2a01::aa')?.temporary, false);
  assert.equal(flags.get('2a01::bb')?.temporary, true);
  const table = { eth0: ['aa', 'bb', 'cc', 'dd', 'ee', 'ff'].map((x) => v6(`2a01::${x}`)) };
  // Addresses missing from the flags table pass (Node alone cannot tell).
  assert.deepEqual(ips(table, { flags }), ['2a01::aa', '2a01::ff']);
});

test('ipv6: canonical spelling matches the codec and leaves non-IPv6 text alone', () => {
  assert.equal(canonical('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
  assert.equal(canonical('2001:db8:0:1:0:0:1:0'), '2001:db8:0:1::1:0');
  assert.equal(canonical('nonsense'), 'nonsense');
});
