// The quick subset of the real-NAT lab: the real programs through Linux NAT in namespaces.
// CI is root and runs it; anywhere else it fails loudly unless PORTHOLE_SKIP_LAB=1 is set.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runLabPair } from '../../lab/runner.js';
import { parseSite } from '../../lab/topology.js';
import { requireLab, skipLab } from './prereq.js';

test('lab prerequisites: root, nftables, conntrack, namespaces', { skip: skipLab }, () => {
  // Throws with what is missing (and installs the Debian packages when it can).
  requireLab();
});

const cases: Array<[string, string, boolean, number]> = [
  ['port', 'port', true, 2],
  ['port', 'port', false, 2],
  ['port', 'symmetric', true, 3],
  ['port', 'symmetric', false, 3],
];

for (const [home, client, firewall, trials] of cases) {
  test(
    `real NAT: ${home} home × ${client} client, firewall ${firewall ? 'on' : 'off'}`,
    { skip: skipLab, timeout: 120_000 },
    async () => {
      requireLab();
      const r = await runLabPair(
        { home: parseSite(home), client: parseSite(client), firewall, lossPct: 0 },
        // Traversal itself (with the relay racing it, a slow punch would end relayed).
        { trials, clientArgs: ['--relay', 'off'] },
      );
      assert.equal(r.success, 1, `${r.success * 100}% (${r.errors.join('; ')})`);
      assert.equal(r.path, 'punched');
    },
  );
}

test(
  'real NAT: device commands through a port × symmetric punch',
  { skip: skipLab, timeout: 120_000 },
  async () => {
    requireLab();
    const r = await runLabPair(
      { home: parseSite('port'), client: parseSite('symmetric'), firewall: true, lossPct: 0 },
      {
        trials: 1,
        extraClientCommands: [
          ['client', 'set', 'light.kitchen', 'on'],
          ['client', 'get', 'light.kitchen'],
        ],
      },
    );
    assert.equal(r.success, 1, r.errors.join('; '));
    const [set, get] = r.extra.map((l) => JSON.parse(l) as { state?: string; error?: string });
    assert.equal(set?.state, 'on', r.extra[0]);
    assert.equal(get?.state, 'on', r.extra[1]);
  },
);
