// The relay on real kernel NAT (issue 10): symmetric × symmetric never punches (also behind a
// CGNAT on either side), so the client connects relayed, by the auto fall-back and straight away
// with --relay only, and gets device answers over it; a client whose router drops all UDP connects
// over the TCP and WebSocket relays. Prints the time to connect. Fails loudly when not root.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runLabPair } from '../../lab/runner.js';
import { nft } from '../../lab/netns.js';
import { parseSite } from '../../lab/topology.js';
import { requireLab, skipLab } from './prereq.js';

const UDP_BLOCK =
  'table inet udpblock { chain drop_udp { type filter hook forward priority -10; meta l4proto udp drop; }; }';

for (const [home, client, firewall, mode] of [
  ['symmetric', 'symmetric', true, 'auto'],
  ['symmetric', 'symmetric', false, 'only'],
  // Behind a carrier-grade NAT too: the home's keepalive mapping crosses two NATs.
  ['cgnat-symmetric', 'symmetric', true, 'auto'],
  ['symmetric', 'cgnat-symmetric', true, 'auto'],
] as const) {
  test(
    `real NAT: ${home} × ${client} connects relayed (--relay ${mode}), firewall ${firewall ? 'on' : 'off'}`,
    { skip: skipLab, timeout: 60_000 },
    async () => {
      requireLab();
      const r = await runLabPair(
        { home: parseSite(home), client: parseSite(client), firewall, lossPct: 0 },
        {
          trials: 1,
          clientArgs: ['--relay', mode],
          homeClassified: mode === 'auto',
          extraClientCommands: [['client', 'set', 'light.kitchen', 'on', '--relay', 'only']],
        },
      );
      console.log(`${home} × ${client}, --relay ${mode}: connected relayed in ${r.p50ms} ms`);
      assert.equal(r.success, 1, r.errors.join('; '));
      assert.equal(r.path, 'relayed');
      // Issue 21 item 5: the relayed report after needs-relay names the home's NAT class.
      if (mode === 'auto') assert.match(r.homeNat, /^symmetric/, `homeNat: ${r.homeNat}`);
      const set = JSON.parse(r.extra[0] ?? '{}') as { state?: string };
      assert.equal(set.state, 'on', r.extra[0]);
    },
  );
}

test(
  'real NAT: a client whose router drops all UDP connects over TCP with no flag (transport auto)',
  { skip: skipLab, timeout: 60_000 },
  async () => {
    requireLab();
    const lines: string[] = [];
    const r = await runLabPair(
      { home: parseSite('port'), client: parseSite('port'), firewall: true, lossPct: 0 },
      {
        trials: 1,
        onLab: (lab) => nft(lab.ns.clientNats.at(-1) as string, UDP_BLOCK),
        onTrial: (_i, line) => lines.push(line),
        // The second command finds the transport remembered for this network.
        extraClientCommands: [['client', 'get', 'light.kitchen']],
      },
    );
    const j = JSON.parse(lines[0] ?? '{}') as {
      transport?: string;
      transportChosen?: string;
      ms?: number;
      steps?: Record<string, number>;
    };
    console.log(
      `UDP blocked, no flag: connected over ${j.transport} in ${j.ms} ms (choosing the transport: ${j.steps?.transport} ms)`,
    );
    assert.equal(r.success, 1, r.errors.join('; '));
    assert.equal(r.path, 'relayed');
    assert.equal(j.transport, 'tcp');
    assert.equal(j.transportChosen, 'auto');
    const got = JSON.parse(r.extra[0] ?? '{}') as { entity_id?: string };
    assert.equal(got.entity_id, 'light.kitchen', r.extra[0]);
  },
);

test(
  'real NAT: a client whose router drops all UDP connects over the ws relay (forced)',
  { skip: skipLab, timeout: 60_000 },
  async () => {
    requireLab();
    const relay = ['--relay-transport', 'ws', '--relay-addr', '198.51.100.1:7403'];
    const r = await runLabPair(
      { home: parseSite('port'), client: parseSite('port'), firewall: true, lossPct: 0 },
      {
        trials: 1,
        rendezvousArgs: ['--relay-ws', '7403'],
        onLab: (lab) => nft(lab.ns.clientNats.at(-1) as string, UDP_BLOCK),
        clientArgs: ['--relay', 'auto', ...relay],
        extraClientCommands: [['client', 'get', 'light.kitchen', '--relay', 'only', ...relay]],
      },
    );
    console.log(
      `UDP blocked: connected over the ws relay in ${r.p50ms} ms (traversal's head start included)`,
    );
    assert.equal(r.success, 1, r.errors.join('; '));
    assert.equal(r.path, 'relayed');
    const got = JSON.parse(r.extra[0] ?? '{}') as { entity_id?: string };
    assert.equal(got.entity_id, 'light.kitchen', r.extra[0]);
  },
);
