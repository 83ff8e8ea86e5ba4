// The real-NAT lab: a watch that starts relayed moves onto the punched path by itself (issue 10).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runUpgradeLab } from '../../lab/upgrade.js';
import { requireLab, skipLab } from './prereq.js';

test(
  'real NAT: port-restricted × symmetric, started relayed, upgrades to punched mid-watch; every state once',
  { skip: skipLab, timeout: 180_000 },
  async () => {
    requireLab();
    const trials = await runUpgradeLab(3);
    for (const t of trials)
      console.log(
        `# upgrade lab: moved to ${t.path} ${t.upgradeMs} ms after connecting (${t.fromSpawnMs} ms after start); states ${t.seen.join(',')}`,
      );
    for (const t of trials) {
      assert.equal(t.path, 'punched', JSON.stringify(t));
      assert.deepEqual(t.seen, t.set, 'every state change once, in order');
    }
  },
);
