// Issue 9 on real kernel NAT: with discovery on both sides, a cone pair connects by the
// simultaneous knock and a symmetric home behind a cone client by the reversed round first; each
// side's verdict matches the kind the lab built. The first connect runs cold (the client's NAT
// class cache is empty: it classifies beside its first round), the counted ones use the cache.
// Success and the method are asserted, never
// timings (those are `npm run lab -- --matrix`'s job, docs/lab-results.md).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agrees } from '../../lab/matrix.js';
import { runLabPair } from '../../lab/runner.js';
import { parseSite } from '../../lab/topology.js';
import { requireLab, skipLab } from './prereq.js';

const cases: Array<[home: string, client: string, strategy: string]> = [
  ['port', 'port', 'knock'],
  ['symmetric', 'port', 'reverse'],
];

for (const [home, client, strategy] of cases) {
  test(
    `real NAT with discovery: ${home} home × ${client} client connects by ${strategy}`,
    { skip: skipLab, timeout: 60_000 },
    async () => {
      requireLab();
      const r = await runLabPair(
        { home: parseSite(home), client: parseSite(client), firewall: true, lossPct: 0 },
        { trials: 2, prime: true },
      );
      assert.notEqual(r.firstMs, null, 'the cold connect (classifying beside its round) failed');
      assert.equal(r.success, 1, `${r.success * 100}% (${r.errors.join('; ')})`);
      assert.equal(r.path, 'punched');
      assert.equal(r.strategy, strategy);
      assert.equal(agrees(r.homeNat, r.home), 'yes', `home verdict: ${r.homeNat}`);
      assert.equal(agrees(r.clientNat, r.client), 'yes', `client verdict: ${r.clientNat}`);
    },
  );
}
