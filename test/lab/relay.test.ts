// The relay on real kernel NAT (issue 10): symmetric × symmetric never punches, so the client
// connects relayed, by the auto fall-back after traversal fails and straight away with --relay
// only, and gets device answers over it. Prints the time to connect. Fails loudly when not root.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runLabPair } from '../../lab/runner.js';
import { nft } from '../../lab/netns.js';
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

test(
  'real NAT: a client whose router drops all UDP connects over the TCP relay',
  { skip: skipLab, timeout: 60_000 },
  async () => {
    requireLab();
    const relay = ['--relay-transport', 'tcp', '--relay-addr', '198.51.100.1:7403'];
    const r = await runLabPair(
      { home: parseSite('port'), client: parseSite('port'), firewall: true, lossPct: 0 },
      {
        trials: 1,
        rendezvousArgs: ['--relay-tcp', '7403'],
        onLab: (lab) =>
          nft(
            lab.ns.clientNats.at(-1) as string,
            'table inet udpblock { chain drop_udp { type filter hook forward priority -10; meta l4proto udp drop; }; }',
          ),
        clientArgs: ['--relay', 'auto', ...relay],
        extraClientCommands: [['client', 'get', 'light.kitchen', '--relay', 'only', ...relay]],
      },
    );
    console.log(`UDP blocked: connected over the TCP relay in ${r.p50ms} ms (after UDP failed)`);
    assert.equal(r.success, 1, r.errors.join('; '));
    assert.equal(r.path, 'relayed');
    const got = JSON.parse(r.extra[0] ?? '{}') as { entity_id?: string };
    assert.equal(got.entity_id, 'light.kitchen', r.extra[0]);
  },
);
