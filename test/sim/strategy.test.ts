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

test('symmetric home × cone client: the reversed round first (one round suffices)', () => {
  const r = runTrial({ ...base, home: 'symmetric', client: 'port', seed: 3 });
  assert.equal(r.report.strategy, 'reverse');
  assert.equal(r.report.attempts, 1);
  assert.equal(r.report.homeNat, 'symmetric (random)');
  assert.equal(r.report.clientNat, 'port-restricted cone');
});

test('both symmetric: fails fast with needs-relay naming both classes, no round spent', () => {
  const r = runTrial({ ...base, home: 'symmetric', client: 'symmetric', seed: 1 });
  assert.equal(r.ok, false);
  assert.match(r.error ?? '', /both NATs map per destination \(home: symmetric/);
  assert.equal('path' in r.report, false);
  assert.ok(r.ms < 2000, `${r.ms} ms`);
});
