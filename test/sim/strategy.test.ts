// Issue 9 in the simulator: with discovery on both sides the ladder pays only what the pair needs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PresetName } from '../../src/net/virtual/presets.js';
import { runTrial, type TrialOptions } from '../../src/sim/trial.js';

const base: Omit<TrialOptions, 'home' | 'client' | 'seed'> = {
  rttMs: 40,
  lossPct: 0,
  jitterMs: 0,
  firewall: true,
  homeConfig: { respray: 'off' },
  clientConfig: { rounds: 1 },
  strategy: 'auto',
};

const CONES: PresetName[] = ['none', 'full', 'restricted', 'port', 'cgnat-port'];

test('cone pairs: a knock from one socket each, ≤ 20 packets per side, no spray', () => {
  for (const home of CONES)
    for (const client of CONES)
      for (const seed of [1, 2]) {
        const r = runTrial({ ...base, home, client, seed });
        const at = `${home} × ${client} seed ${seed}: ${r.error ?? ''}`;
        assert.equal(r.ok, true, at);
        assert.equal(r.report.strategy, 'knock', at);
        assert.equal(r.report.socketsOpened, 1, at);
        assert.ok(r.report.packetsSent <= 20, `${at} client sent ${r.report.packetsSent}`);
        assert.ok(r.homePackets <= 20, `${at} home sent ${r.homePackets}`);
      }
});

test('symmetric home × cone client: the reversed round first, never waiting for our class', () => {
  // Cold: the client's classification still runs when the path opens (one RTT after Ready).
  const cold = runTrial({ ...base, home: 'symmetric', client: 'port', seed: 3 });
  assert.equal(cold.report.strategy, 'reverse');
  assert.equal(cold.report.attempts, 1);
  assert.equal(cold.report.homeNat, 'symmetric (random)');
  assert.equal(cold.report.clientNat, 'unknown');
  assert.ok(cold.ms < 300, `${cold.ms} ms`);
  // Cached: the class goes with the first assist.
  const warm = runTrial({
    ...base,
    home: 'symmetric',
    client: 'port',
    seed: 3,
    strategy: 'auto-cached',
  });
  assert.equal(warm.report.strategy, 'reverse');
  assert.equal(warm.report.clientNat, 'port-restricted cone');
  assert.equal(warm.report.discoveryPackets, 0);
});

test('both symmetric: needs-relay as soon as our class arrives, naming both classes', () => {
  const r = runTrial({ ...base, home: 'symmetric', client: 'symmetric', seed: 1 });
  assert.equal(r.ok, false);
  assert.match(r.error ?? '', /both NATs map per destination \(home: symmetric/);
  assert.equal('path' in r.report, false);
  assert.ok(r.ms < 2000, `${r.ms} ms`);
  const cached = runTrial({
    ...base,
    home: 'symmetric',
    client: 'symmetric',
    seed: 1,
    strategy: 'auto-cached',
  });
  assert.match(cached.error ?? '', /both NATs map per destination/);
  assert.ok(cached.ms < 300, `no round spent: ${cached.ms} ms`);
});

test('a cached class from another network is learned again when the rendezvous sees a new IP', () => {
  const stale = {
    mapping: 'independent',
    filtering: 'address-port',
    allocation: 'random',
  } as const;
  const trial = (natPublicIp: string) =>
    runTrial({
      ...base,
      home: 'symmetric',
      client: 'symmetric',
      seed: 1,
      clientConfig: { rounds: 1, nat: stale, natPublicIp, punchTimeoutMs: 1500 },
    });
  // Seen behind another IP than the cached one: classified again, and the real class (symmetric,
  // like the home) ends the round planned for a cone client at once.
  const moved = trial('0.0.0.0');
  assert.match(moved.error ?? '', /both NATs map per destination/);
  assert.ok((moved.report.discoveryPackets ?? 0) > 0);
  assert.match(moved.report.clientNat ?? '', /^symmetric/);
  // Behind the IP it was learned at: trusted, no STUN; the reversed round times out.
  const ip = moved.report.clientObserved?.split(':')[0] ?? '';
  const same = trial(ip);
  assert.match(same.error ?? '', /no path/);
  assert.equal(same.report.discoveryPackets, 0);
});

test('a sequential symmetric client is seen as such even when its first round runs beside the test', () => {
  // The cold connect's knock takes a port between two allocation probes; the classifier reads
  // the doubled step as the same allocator, so the next round predicts.
  const r = runTrial({ ...base, home: 'port', client: 'symmetric-seq', seed: 2 });
  assert.equal(r.ok, true, r.error);
  assert.equal(r.report.strategy, 'predict');
  assert.match(r.report.clientNat ?? '', /sequential \+1/);
});
