// The real roles on the virtual internet: every preset pair, and the patent's numbers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PRESET_NAMES, type PresetName } from '../../src/net/virtual/presets.js';
import { wilsonInterval, Z_999 } from '../../src/sim/odds.js';
import { PATENT_PAIR_OPTIONS, runPair, type PairOptions } from '../../src/sim/matrix.js';
import { isConePair } from '../../src/sim/theory.js';

const base: PairOptions = { ...PATENT_PAIR_OPTIONS, trials: 30, seed: 11 };

test('every pair of cone presets connects in 100% of trials (one round)', () => {
  const cone = PRESET_NAMES.filter((p) => isConePair(p, p));
  assert.deepEqual(cone, ['none', 'full', 'restricted', 'port', 'cgnat-port']);
  for (const home of cone) {
    for (const client of cone) {
      const s = runPair(home, client, base);
      assert.equal(s.success, 1, `${home} × ${client}: ${s.success}`);
    }
  }
});

test('every home × client pair of presets runs the real roles and meets its theory', () => {
  for (const home of PRESET_NAMES) {
    for (const client of PRESET_NAMES) {
      const s = runPair(home, client, { ...base, trials: 10 });
      const label = `${home} × ${client}: ${s.success} (theory ${s.theory})`;
      if (s.theory === 0 || s.theory === 1) assert.equal(s.success, s.theory, label);
      else assert.ok(s.success >= 0.7, label); // a birthday draw: 10 trials at ~98%
      assert.equal(s.trials, 10);
    }
  }
});

test('port-restricted home × symmetric client matches 1-(1-N/P)^M within a 99.9% interval over 2,000 trials', () => {
  // Seed 1 is `porthole simulate`'s default, so this is the run the closing note quotes.
  const s = runPair('port', 'symmetric', { ...base, trials: 2000, seed: 1 });
  const k = Math.round(s.success * s.trials);
  const ci = wilsonInterval(k, s.trials, Z_999);
  assert.ok(
    ci.lo <= s.theory && s.theory <= ci.hi,
    `measured ${s.success}, theory ${s.theory}, CI ${ci.lo}-${ci.hi}`,
  );
  assert.ok(Math.abs(s.success - 0.978) <= 0.01, `patent's 97.8% ± 1 point: ${s.success}`);
});

test("the product's re-spray matches its theory (the miss squared) over 2,000 trials", () => {
  const s = runPair('port', 'symmetric', {
    ...base,
    trials: 2000,
    seed: 1,
    homeConfig: { respray: 'auto' },
  });
  const k = Math.round(s.success * s.trials);
  const ci = wilsonInterval(k, s.trials, Z_999);
  assert.ok(s.theory > 0.999, `theory ${s.theory}`);
  assert.ok(
    ci.lo <= s.theory && s.theory <= ci.hi,
    `measured ${s.success}, theory ${s.theory}, CI ${ci.lo}-${ci.hi}`,
  );
});

test('the same seed gives identical results; another seed gives other trials', () => {
  const a = runPair('port', 'symmetric', { ...base, trials: 100 });
  const b = runPair('port', 'symmetric', { ...base, trials: 100 });
  assert.deepEqual(a, b);
  const c = runPair('port', 'symmetric', { ...base, trials: 100, seed: 12 });
  assert.notDeepEqual({ ...a, seed: 0 }, { ...c, seed: 0 });
});

test('without router firewalls, full-TTL sprays collapse the punch; the auto TTL keeps it', () => {
  const noFw = { ...base, trials: 200, firewall: false };
  const os = runPair('port', 'symmetric', { ...noFw, homeConfig: { sprayTtl: 'os' } });
  const auto = runPair('port', 'symmetric', noFw);
  assert.ok(os.success < 0.1, `full TTL without firewall: ${os.success}`);
  assert.ok(auto.success > 0.93, `auto TTL without firewall: ${auto.success}`);
});

test('what the method cannot do is reported as such: symmetric × symmetric finds no path', () => {
  const s = runPair('symmetric', 'symmetric', { ...base, trials: 20 });
  assert.equal(s.success, 0);
  assert.equal(s.theory, 0);
});

test('loss is survived by retransmission and rounds', () => {
  const pairs: Array<[PresetName, PresetName]> = [
    ['port', 'port'],
    ['cgnat-port', 'restricted'],
  ];
  for (const [h, c] of pairs) {
    const s = runPair(h, c, { ...base, trials: 50, lossPct: 10, clientConfig: { rounds: 3 } });
    assert.ok(s.success >= 0.96, `${h} × ${c} at 10% loss: ${s.success}`);
  }
});

test('a symmetric home is reached from a port-restricted client by the reversed round', () => {
  const s = runPair('symmetric', 'port', { ...base, trials: 200, clientConfig: { rounds: 2 } });
  assert.ok(s.success > 0.94, `symmetric × port with a reversed second round: ${s.success}`);
});
