import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { networkInterfaces } from 'node:os';
import { findGateway, parseDefaultRoute } from '../../src/portmap/gateway.js';
import { isNonPublicIpv4 } from '../../src/portmap/ipv4.js';

// The shape of /proc/net/route (little-endian hex words): a LAN route, two default routes.
const ROUTES = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
`;

test('gateway: the default route with the lowest metric, from /proc/net/route', () => {
  assert.deepEqual(parseDefaultRoute(ROUTES), { iface: 'eth0', gateway: '192.168.1.1' });
  assert.equal(parseDefaultRoute(ROUTES.split('\n').slice(0, 2).join('\n')), undefined);
  assert.equal(parseDefaultRoute('garbage\n\x00\x01 zz'), undefined);
});

test('gateway: the local address comes from the route interface', () => {
  const interfaces = (() => ({
    eth0: [
      { family: 'IPv6', address: 'fe80::1', internal: false },
      { family: 'IPv4', address: '192.168.1.10', internal: false },
    ],
  })) as unknown as typeof networkInterfaces;
  assert.deepEqual(findGateway({ readRoutes: () => ROUTES, interfaces }), {
    iface: 'eth0',
    gateway: '192.168.1.1',
    localIp: '192.168.1.10',
  });
  const none: typeof networkInterfaces = () => ({});
  assert.equal(findGateway({ readRoutes: () => ROUTES, interfaces: none }), undefined);
  const fail = (): string => {
    throw new Error('EACCES');
  };
  assert.equal(findGateway({ readRoutes: fail, interfaces }), undefined);
});

test('ipv4: private, CGNAT and reserved addresses are not public', () => {
  for (const ip of [
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.0.1',
    '100.64.0.1',
    '100.127.1.1',
    '127.0.0.1',
    '169.254.1.1',
    '0.0.0.0',
    'x',
    '::1',
    '1.2.3',
  ]) {
    assert.ok(isNonPublicIpv4(ip), ip);
  }
  for (const ip of ['11.0.0.1', '172.32.0.1', '100.128.0.1', '198.51.100.7', '8.8.8.8']) {
    assert.ok(!isNonPublicIpv4(ip), ip);
  }
});
