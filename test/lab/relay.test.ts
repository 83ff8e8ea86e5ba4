// The relay on real kernel NAT (issue 10): symmetric × symmetric never punches, so the client
// connects relayed, by the auto fall-back after traversal fails and straight away with --relay
// only, and gets device answers over it. Prints the time to connect. Fails loudly when not root.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runLabPair } from '../../lab/runner.js';
import { parseSite } from '../../lab/topology.js';
import { requireLab, skipLab } from './prereq.js';

for (const [firewall, mode] of [
  [true, 'auto'],
  [false, 'only'],
] as const) {
  test(
    `real NAT: symmetric × symmetric connects relayed (--relay ${mode}), firewall ${firewall ? 'on' : 'off'}`,
    { skip: skipLab, timeout: 60_000 },
    async () => {
      requireLab();
      const r = await runLabPair(
        { home: parseSite('symmetric'), client: parseSite('symmetric'), firewall, lossPct: 0 },
        {
          trials: 1,
          clientArgs: ['--relay', mode],
          extraClientCommands: [['client', 'set', 'light.kitchen', 'on', '--relay', 'only']],
        },
      );
      console.log(`symmetric × symmetric, --relay ${mode}: connected relayed in ${r.p50ms} ms`);
      assert.equal(r.success, 1, r.errors.join('; '));
      assert.equal(r.path, 'relayed');
      const set = JSON.parse(r.extra[0] ?? '{}') as { state?: string };
      assert.equal(set.state, 'on', r.extra[0]);
    },
  );
}
