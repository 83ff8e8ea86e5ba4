// Each lab router kind, checked with plain UDP sockets (no porthole code): the lab's NATs must
// behave like the kinds the method is measured against, or the lab numbers mean nothing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { deleteStaleNamespaces, listNamespaces } from '../../lab/netns.js';
import { checkSite } from '../../lab/nat-check.js';
import { buildLab, parseSite } from '../../lab/topology.js';
import { UdpAgent, killUdpAgents } from '../../lab/udp-agent.js';
import { requireLab, skipLab } from './prereq.js';

const opts = { skip: skipLab, timeout: 60_000 };

test('lab: namespaces of a dead lab run are cleaned up, a live one is left alone', opts, () => {
  requireLab();
  const dead = 'ph4194300l0-core'; // above the usual pid_max of 4194304 minus a margin: no such pid
  const mine = `ph${process.pid}l999-core`;
  spawnSync('ip', ['netns', 'add', dead]);
  spawnSync('ip', ['netns', 'add', mine]);
  try {
    deleteStaleNamespaces();
    const left = listNamespaces();
    assert.ok(!left.includes(dead), 'stale namespace survived');
    assert.ok(left.includes(mine), 'a live run lost its namespace');
  } finally {
    spawnSync('ip', ['netns', 'del', dead]);
    spawnSync('ip', ['netns', 'del', mine]);
  }
});

test('lab NAT kinds: full, restricted and port-restricted cone, symmetric', opts, async () => {
  requireLab();
  const expect = {
    full: 'endpoint-independent',
    restricted: 'address-dependent',
    port: 'address-and-port-dependent',
  } as const;
  for (const [kind, filtering] of Object.entries(expect)) {
    const r = await checkSite(parseSite(kind), true);
    assert.equal(r.mapping, 'endpoint-independent', `${kind}: mapping`);
    assert.equal(r.preserved, 4, `${kind}: port preservation`);
    assert.equal(r.filtering, filtering, `${kind}: filtering`);
  }
  const sym = await checkSite(parseSite('symmetric'), true);
  assert.notEqual(sym.mapping, 'endpoint-independent', 'symmetric: mapping');
  assert.ok(sym.preserved < 4, 'symmetric: ports should be random');
  assert.equal(sym.filtering, 'address-and-port-dependent', 'symmetric: filtering');
});

test(
  'lab firewall: without it an unsolicited packet blocks that port; low TTL opens a hole',
  opts,
  async () => {
    requireLab();
    const on = await checkSite(parseSite('port'), true);
    assert.equal(on.unsolicitedLeavesState, false);
    assert.equal(on.unsolicitedBlocksPort, false);
    assert.equal(on.lowTtlOpensHole, true);
    const off = await checkSite(parseSite('port'), false);
    assert.equal(off.unsolicitedLeavesState, true);
    assert.equal(off.unsolicitedBlocksPort, true);
    assert.equal(off.lowTtlOpensHole, true);
    const cg = await checkSite(parseSite('cgnat-symmetric'), false);
    assert.equal(cg.lowTtlOpensHole, true, 'low TTL through CGNAT + symmetric router');
  },
);

test('lab loss: the ISP routers drop about the asked share of UDP', opts, async () => {
  requireLab();
  const lab = buildLab({
    home: parseSite('none'),
    client: parseSite('none'),
    firewall: true,
    lossPct: 50,
  });
  const h = UdpAgent.start(lab.ns.home);
  const rv = UdpAgent.start(lab.ns.rendezvous);
  try {
    await rv.open('r', 5001, lab.rendezvousIp);
    await h.open('s');
    for (let i = 0; i < 200; i++) await h.send('s', `${lab.rendezvousIp}:5001`, `n${i}`);
    await rv.waitFor('r', 'never', 300);
    // One lossy ISP hop between the home and the core: ~100 of 200 arrive (bounds ≫ 6 sigma).
    const arrived = rv.count('r');
    assert.ok(arrived > 40 && arrived < 160, `${arrived}/200 arrived with 50% loss`);
  } finally {
    h.close();
    rv.close();
    killUdpAgents();
    lab.teardown();
  }
});
