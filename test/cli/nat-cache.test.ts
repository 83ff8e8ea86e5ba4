import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { NatClass } from '../../src/discovery/nat-class.js';
import {
  loadCachedNat,
  NAT_CACHE_TTL_MS,
  natCacheFile,
  networkKey,
  saveCachedNat,
} from '../../src/cli/nat-cache.js';

const PORT_CONE: NatClass = {
  mapping: 'independent',
  filtering: 'address-port',
  allocation: 'preserving',
};
const RV = { ip: '198.51.100.1', port: 7400 };
const T0 = 1_000_000;

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'nat-cache-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const iface = (address: string, internal = false) =>
  ({ address, internal, family: 'IPv4', netmask: '255.255.255.0', mac: '', cidr: null }) as const;

test('the cache file: the state dir first, else $XDG_CACHE_HOME, else ~/.cache', () => {
  assert.equal(natCacheFile('/s', {}), '/s/nat.json');
  assert.equal(natCacheFile(undefined, { XDG_CACHE_HOME: '/c' }), '/c/porthole/nat.json');
  assert.match(natCacheFile(undefined, { XDG_CACHE_HOME: 'rel' }), /\.cache\/porthole\/nat\.json$/);
});

test('the network key: rendezvous, bind IP and the non-loopback addresses, in any order', () => {
  const a = networkKey(RV, undefined, {
    eth0: [iface('10.0.0.2')],
    lo: [iface('127.0.0.1', true)],
  });
  assert.equal(a, '198.51.100.1:7400 * 10.0.0.2');
  const b = networkKey(RV, undefined, { wlan0: [iface('10.0.0.9')], eth0: [iface('10.0.0.2')] });
  const c = networkKey(RV, undefined, { eth0: [iface('10.0.0.2')], wlan0: [iface('10.0.0.9')] });
  assert.equal(b, c);
  assert.notEqual(networkKey({ ...RV, port: 7500 }, undefined, {}), networkKey(RV, undefined, {}));
});

test('a class is found for its network while fresh, with the public IP it was learned behind', () => {
  withDir((dir) => {
    const file = join(dir, 'sub', 'nat.json');
    assert.equal(loadCachedNat(file, 'k'), undefined, 'no file yet');
    saveCachedNat(file, 'k', PORT_CONE, '203.0.113.7', T0);
    assert.deepEqual(loadCachedNat(file, 'k', T0 + 60_000), {
      nat: PORT_CONE,
      publicIp: '203.0.113.7',
    });
    assert.equal(loadCachedNat(file, 'other network', T0 + 60_000), undefined);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });
});

test('expired entries (or from the future) are not used, and are dropped on the next save', () => {
  withDir((dir) => {
    const file = join(dir, 'nat.json');
    saveCachedNat(file, 'old', PORT_CONE, '203.0.113.7', T0);
    assert.equal(loadCachedNat(file, 'old', T0 + NAT_CACHE_TTL_MS + 1), undefined);
    assert.equal(loadCachedNat(file, 'old', T0 - 1), undefined);
    saveCachedNat(file, 'new', PORT_CONE, '203.0.113.7', T0 + NAT_CACHE_TTL_MS + 1);
    assert.doesNotMatch(readFileSync(file, 'utf8'), /"old"/);
  });
});

test('one entry per network, at most 16, newest kept; unknown classes are never cached', () => {
  withDir((dir) => {
    const file = join(dir, 'nat.json');
    for (let i = 0; i < 20; i++) saveCachedNat(file, `net${i}`, PORT_CONE, '203.0.113.7', T0 + i);
    saveCachedNat(file, 'net19', { ...PORT_CONE, filtering: 'address' }, '192.0.2.1', T0 + 20);
    const entries = (JSON.parse(readFileSync(file, 'utf8')) as { entries: unknown[] }).entries;
    assert.equal(entries.length, 16);
    assert.equal(loadCachedNat(file, 'net0', T0 + 30), undefined, 'the oldest went');
    assert.equal(loadCachedNat(file, 'net19', T0 + 30)?.publicIp, '192.0.2.1');
    const unknown: NatClass = { mapping: 'unknown', filtering: 'unknown', allocation: 'unknown' };
    saveCachedNat(file, 'net5', unknown, '203.0.113.7', T0 + 40);
    assert.deepEqual(loadCachedNat(file, 'net5', T0 + 41)?.nat, PORT_CONE);
  });
});

test('a bad file is ignored (and replaced by the next save)', () => {
  withDir((dir) => {
    const file = join(dir, 'nat.json');
    for (const junk of [
      'not json',
      '{"at":1,"nat":{"mapping":1}}', // the old format
      '{"v":2,"entries":"x"}',
      '{"v":2,"entries":[{"key":"k","at":1000000,"ip":"203.0.113.7","nat":{"mapping":"x"}}]}',
      `{"v":2,"entries":[],"pad":"${'x'.repeat(20_000)}"}`,
    ]) {
      writeFileSync(file, junk);
      assert.equal(loadCachedNat(file, 'k', T0), undefined, junk.slice(0, 40));
    }
    saveCachedNat(file, 'k', PORT_CONE, '203.0.113.7', T0);
    assert.deepEqual(loadCachedNat(file, 'k', T0)?.nat, PORT_CONE);
  });
});
