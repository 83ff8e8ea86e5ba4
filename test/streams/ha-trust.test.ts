// `home serve --ha-config`: the trusted_networks check (a line scan of configuration.yaml). The
// per-client source addresses are 127.0.0.10-249, so any trusted 127.x (or everything) is a hit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientSourceAddress, haTrustsLoopback } from '../../src/streams/services.js';

const provider = (nets: string[]): string =>
  [
    'homeassistant:',
    '  auth_providers:',
    '    - type: trusted_networks',
    '      trusted_networks:',
    ...nets.map((n) => `        - ${n}`),
    '    - type: homeassistant',
    'http:',
    '  server_port: 8123',
    '',
  ].join('\n');

test('trusted_networks covering the home’s loopback sources is found; others are not', () => {
  assert.equal(haTrustsLoopback(provider(['192.168.1.0/24', '127.0.0.1'])), '127.0.0.1');
  assert.equal(haTrustsLoopback(provider(['"127.0.0.0/8"'])), '127.0.0.0/8');
  assert.equal(haTrustsLoopback(provider(['0.0.0.0/0'])), '0.0.0.0/0');
  assert.equal(haTrustsLoopback(provider(['192.168.1.0/24', 'fd00::/8'])), undefined);
  assert.equal(haTrustsLoopback('http:\n  server_port: 8123\n'), undefined);
  const a = clientSourceAddress('abcd2345');
  assert.match(a, /^127\.0\.0\.(\d+)$/);
  const last = Number(a.split('.')[3]);
  assert.ok(last >= 10 && last <= 249);
  assert.equal(clientSourceAddress('ABCD2345'), a, 'case does not matter');
});
