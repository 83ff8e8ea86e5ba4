// Issue 13 at product level over the lab's IPv6 (stateful firewalls, no NAT): `porthole` roles in
// the namespaces. Dual-stack pair → the IPv6 path within 10 packets per side; the home's IPv6
// firewall dropping everything, or a v4-only home → IPv4 traversal still wins. Root only; numbers printed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildLab6, type Ipv6Spec } from '../../lab/ipv6.js';
import { connectV6, makeClientV6Only, startV6Stack } from '../../lab/ipv6-stack.js';
import { connectErrorText } from '../../lab/roles.js';
import type { LabSpec } from '../../lab/topology.js';
import { requireLab, skipLab } from './prereq.js';

const opts = { skip: skipLab, timeout: 60_000 };
const v4: LabSpec = {
  home: { router: 'port', cgnat: false },
  client: { router: 'port', cgnat: false },
  firewall: true,
  lossPct: 0,
};

async function row(modes: Ipv6Spec, port: number, v6only = false) {
  requireLab();
  const lab = buildLab6(v4, modes);
  try {
    if (v6only) makeClientV6Only(lab);
    const stack = await startV6Stack(lab, 'v6home', port);
    try {
      const c = connectV6(lab, stack, 'v6home', v6only);
      const { knocks, sprays } = await stack.stopHome();
      return { c, knocks, sprays };
    } finally {
      await stack.stop();
    }
  } finally {
    lab.teardown();
  }
}

test(
  'candidates ipv6 lab: dual-stack pair → IPv6 path, ≤ 10 packets per side, no spray',
  opts,
  async () => {
    const { c, knocks, sprays } = await row({ home: 'on', client: 'on' }, 43001);
    assert.ok(c.json, c.error);
    assert.equal(c.json.path, 'ipv6', JSON.stringify(c.json));
    assert.ok((c.json.packetsSent as number) <= 10);
    assert.ok((knocks ?? 99) <= 10, `home knocked ${knocks}`);
    assert.equal(sprays, 0);
    console.log(
      `candidates ipv6 lab: dual-stack → ipv6 in ${String(c.json.ms)} ms (process ${c.wallMs} ms); packets client ${String(c.json.packetsSent)}, home knocks ${knocks}; sprays ${sprays}`,
    );
  },
);

test(
  'candidates ipv6 lab: the home firewall drops all IPv6 → IPv4 traversal wins',
  opts,
  async () => {
    const { c } = await row({ home: 'blocked', client: 'on' }, 43011);
    assert.ok(c.json, c.error);
    assert.equal(c.json.path, 'punched', JSON.stringify(c.json));
    console.log(
      `candidates ipv6 lab: v6 blocked → ${String(c.json.path)} in ${String(c.json.ms)} ms, client packets ${String(c.json.packetsSent)}`,
    );
  },
);

test(
  'candidates ipv6 lab: v4-only home → IPv4 traversal, the home never knocks',
  opts,
  async () => {
    const { c, knocks } = await row({ home: 'off', client: 'on' }, 43021);
    assert.ok(c.json, c.error);
    assert.equal(c.json.path, 'punched');
    assert.equal(knocks ?? 0, 0);
    console.log(
      `candidates ipv6 lab: v4-only home → ${String(c.json.path)} in ${String(c.json.ms)} ms`,
    );
  },
);

test(
  'candidates ipv6 lab: v6-only client (no IPv4 at all), dual-stack home → IPv6 path',
  opts,
  async () => {
    const { c, knocks, sprays } = await row({ home: 'on', client: 'on' }, 43031, true);
    assert.ok(c.json, c.error);
    assert.equal(c.json.path, 'ipv6', JSON.stringify(c.json));
    assert.equal(sprays, 0);
    console.log(
      `candidates ipv6 lab: v6-only client → ipv6 in ${String(c.json.ms)} ms, client packets ${String(c.json.packetsSent)}, home knocks ${knocks}`,
    );
  },
);

test(
  'candidates ipv6 lab: v6-only client, v4-only home → a clear error naming both',
  opts,
  async () => {
    const { c } = await row({ home: 'off', client: 'on' }, 43041, true);
    // --json prints the failure report with its `error` text (the existing contract).
    const error = connectErrorText(c);
    assert.match(error, /v6-only client/);
    assert.match(error, /v4-only home/);
    console.log(`candidates ipv6 lab: v6-only client × v4-only home → ${error}`);
  },
);
