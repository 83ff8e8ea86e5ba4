// Issue 13 at product level over the lab's IPv6 (stateful firewalls, no NAT): `porthole` roles in
// the namespaces. Dual-stack pair → the IPv6 path within 10 packets per side; the home's IPv6
// firewall dropping everything, or a v4-only home → IPv4 traversal still wins. Root only; numbers printed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildLab6, type Ipv6Spec } from '../../lab/ipv6.js';
import { connectIn, killRoles, Role } from '../../lab/roles.js';
import type { LabSpec } from '../../lab/topology.js';
import { requireLab, skipLab } from './prereq.js';

const opts = { skip: skipLab, timeout: 60_000 };
const v4: LabSpec = {
  home: { router: 'port', cgnat: false },
  client: { router: 'port', cgnat: false },
  firewall: true,
  lossPct: 0,
};

async function row(modes: Ipv6Spec, port: number) {
  requireLab();
  const lab = buildLab6(v4, modes);
  const rvAddr = `${lab.rendezvousIp}:7400`;
  const roles: Role[] = [];
  try {
    const rv = Role.start(lab.ns.rendezvous, [
      'rendezvous',
      '--listen',
      rvAddr,
      '--listen',
      `[${lab.v6.rendezvousIp6}]:7400`,
    ]);
    roles.push(rv);
    assert.ok(
      await rv.waitFor((x) => x.msg === 'rendezvous listening', 10_000),
      'rendezvous did not start',
    );
    const home6 = lab.v6.homeIp6 ?? 'off';
    const home = Role.start(lab.ns.home, [
      'home',
      '--id',
      'v6home',
      '--rendezvous',
      rvAddr,
      '--listen',
      `${lab.homeIp}:${port}`,
      '--portmap',
      'off',
      '--ipv6',
      home6,
    ]);
    roles.push(home);
    const ready =
      home6 === 'off'
        ? (x: Record<string, unknown>) => x.msg === 'registered with rendezvous'
        : (x: Record<string, unknown>) => x.msg === 'IPv6 candidate socket open';
    assert.ok(await home.waitFor(ready, 10_000), 'the home did not come up');
    await new Promise((r) => setTimeout(r, 300));
    const c = connectIn(lab.ns.client, [
      '--home',
      'v6home',
      '--rendezvous',
      rvAddr,
      '--bind',
      lab.clientIp,
      '--ipv6',
      lab.v6.clientIp6 ?? 'off',
    ]);
    await home.stop();
    const stats = home.lines.find((x) => x.msg === 'home agent stopping')?.stats as
      { sprays: number; candidates: { knocks: number } } | undefined;
    return { c, knocks: stats?.candidates.knocks, sprays: stats?.sprays };
  } finally {
    for (const r of roles) await r.stop();
    killRoles();
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
