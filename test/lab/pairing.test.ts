// Pairing works wherever connecting works (issue 21 item 2), on real kernel NAT: symmetric ×
// symmetric (only the relay joins them) and a client whose router drops all UDP (only the TCP
// relay reaches the rendezvous) pair on the first try with no flag, then get a device over the
// path pairing left. Prints the time to pair. Fails loudly when not root.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nft } from '../../lab/netns.js';
import { pairInLab } from '../../lab/paired.js';
import { killLabProcesses, runClient } from '../../lab/runner.js';
import { buildLab, parseSite } from '../../lab/topology.js';
import { requireLab, skipLab } from './prereq.js';

const UDP_BLOCK =
  'table inet udpblock { chain drop_udp { type filter hook forward priority -10; meta l4proto udp drop; }; }';

for (const [home, client, udpBlocked] of [
  ['symmetric', 'symmetric', false],
  ['port', 'port', true],
] as const) {
  const what = udpBlocked ? `${client} client with UDP blocked` : `${home} × ${client}`;
  test(
    `real NAT: ${what} pairs on the first try, no flag`,
    { skip: skipLab, timeout: 90_000 },
    async () => {
      requireLab();
      const lab = buildLab({
        home: parseSite(home),
        client: parseSite(client),
        firewall: true,
        lossPct: 0,
      });
      try {
        const p = await pairInLab(lab, 'pairing', () => {
          if (udpBlocked) nft(lab.ns.clientNats.at(-1) as string, UDP_BLOCK);
        });
        console.log(`${what}: paired in ${p.pairMs} ms (CLI start included)`);
        const got = JSON.parse(
          await runClient(lab.ns.client, ['client', 'get', 'light.kitchen', ...p.base]),
        ) as { entity_id?: string };
        assert.equal(got.entity_id, 'light.kitchen');
      } finally {
        killLabProcesses();
        lab.teardown();
      }
    },
  );
}
