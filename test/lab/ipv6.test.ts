// IPv6 in the real lab (issue 13), plain UDP sockets, no Porthole code: the routers are stateful
// IPv6 firewalls without NAT — an unsolicited packet is dropped, a simultaneous knock opens both,
// a drop-all firewall lets nothing through (the product must fall back to IPv4). Also builds the
// rows the product will need (dual-stack, v4-only home, v4-only client, blocked) and runs the
// address selection of src/net/ipv6.ts on each host's real interface table.
// Needs root; fails loudly without it (PORTHOLE_SKIP_LAB=1 skips explicitly).
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import {
  buildLab6,
  firewallDrops,
  hostInterfaces,
  type Ipv6Spec,
  type Lab6,
} from '../../lab/ipv6.js';
import { knock, type KnockSideResult } from '../../lab/knock6.js';
import type { LabSpec } from '../../lab/topology.js';
import { parseIfInet6, usableIpv6 } from '../../src/net/ipv6.js';
import { requireLab, skipLab } from './prereq.js';

const opts = { skip: skipLab, timeout: 60_000 };
const v4: LabSpec = {
  home: { router: 'port', cgnat: true },
  client: { router: 'symmetric', cgnat: false },
  firewall: true,
  lossPct: 0,
};
const fast = { startDelayMs: 1_000, listenMs: 800 };

async function withLab(modes: Ipv6Spec, fn: (lab: Lab6) => Promise<void> | void): Promise<void> {
  const lab = buildLab6(v4, modes);
  try {
    await fn(lab);
  } finally {
    lab.teardown();
  }
}

/** What the product's address selection finds on a lab host. */
function selected(ns: string, allowDocumentation = true): string[] {
  const { table, ifInet6 } = hostInterfaces(ns);
  return usableIpv6(table, { allowDocumentation, flags: parseIfInet6(ifInet6) }).map((c) => c.ip);
}

const sides = (lab: Lab6, port: number) => {
  assert.ok(lab.v6.homeIp6 && lab.v6.clientIp6);
  return {
    home: { ns: lab.ns.home, ip: lab.v6.homeIp6, port, send: true },
    client: { ns: lab.ns.client, ip: lab.v6.clientIp6, port: port + 1, send: true },
  };
};

const report = (t: TestContext, label: string, h: KnockSideResult, c: KnockSideResult): void => {
  const both = h.firstRecvMs !== null && c.firstRecvMs !== null;
  const exchange = both ? Math.max(h.firstRecvMs as number, c.firstRecvMs as number) : null;
  const line =
    `${label}: first exchange ${exchange === null ? 'never' : `${exchange} ms`} ` +
    `(home heard at ${h.firstRecvMs ?? '-'} ms, client at ${c.firstRecvMs ?? '-'} ms; ` +
    `first sends at ${h.firstSendMs ?? '-'}/${c.firstSendMs ?? '-'} ms); ` +
    `packets home ${h.sent} sent/${h.received} received, client ${c.sent}/${c.received}; ` +
    `first knock through: home's #${c.firstHeardSeq ?? '-'}, client's #${h.firstHeardSeq ?? '-'}`;
  t.diagnostic(line);
};

test(
  'lab ipv6: dual-stack — unsolicited dropped, simultaneous knock opens both',
  opts,
  async (t) => {
    requireLab();
    await withLab({ home: 'on', client: 'on' }, async (lab) => {
      assert.deepEqual(selected(lab.ns.home), [lab.v6.homeIp6]);
      assert.deepEqual(selected(lab.ns.client), [lab.v6.clientIp6]);
      assert.deepEqual(selected(lab.ns.home, false), [], 'documentation prefix needs the lab flag');
      const fw = lab.v6.homeFirewall as string;

      // (a) The client sends to the home, which never sends: the home router drops it all.
      const a = sides(lab, 7000);
      const before = firewallDrops(fw);
      const [h0, c0] = await knock({ ...a.home, send: false }, a.client, fast);
      report(t, 'unsolicited client→home', h0, c0);
      assert.equal(h0.received, 0, 'an unsolicited IPv6 packet reached the home');
      assert.ok(c0.sent > 0);
      assert.ok(
        firewallDrops(fw) - before >= c0.sent,
        "the home router's firewall did not drop it",
      );

      // (b) Both knock at once: both firewalls open, data both ways.
      const b = sides(lab, 7100);
      const [h, c] = await knock(b.home, b.client, fast);
      report(t, 'simultaneous knock', h, c);
      assert.ok(h.received > 0, 'home heard nothing');
      assert.ok(c.received > 0, 'client heard nothing');

      // (b') As the product will run it: the home knocks first (it hears peerInfo before the
      // client hears ready). The client's first knock passes the home's open firewall and is
      // answered at once: the client's first exchange is one round trip.
      const s = sides(lab, 7300);
      const [h2, c2] = await knock(s.home, { ...s.client, delayMs: 5 }, fast);
      report(t, 'home first, client +5 ms', h2, c2);
      assert.ok(h2.received > 0 && c2.received > 0, 'no exchange when the home knocks first');
      const rtt = (c2.firstRecvMs as number) - (c2.firstSendMs as number);
      t.diagnostic(`client: first knock to first answer ${rtt.toFixed(1)} ms (one round trip)`);
    });
  },
);

test('lab ipv6: a firewall that drops all IPv6 lets nothing through', opts, async (t) => {
  requireLab();
  await withLab({ home: 'blocked', client: 'on' }, async (lab) => {
    // The host still has its address (so the product will try it, and must fall back).
    assert.deepEqual(selected(lab.ns.home), [lab.v6.homeIp6]);
    const fw = lab.v6.homeFirewall as string;
    const s = sides(lab, 7200);
    const [h, c] = await knock(s.home, s.client, fast);
    report(t, 'blocked home', h, c);
    assert.equal(h.received, 0);
    assert.equal(c.received, 0);
    const dropped = firewallDrops(fw);
    assert.ok(dropped >= h.sent + c.sent, `home firewall dropped ${dropped} of ${h.sent + c.sent}`);
  });
});

test('lab ipv6: v4-only home and v4-only client rows', opts, async () => {
  requireLab();
  await withLab({ home: 'off', client: 'on' }, (lab) => {
    assert.equal(lab.v6.homeIp6, null);
    assert.deepEqual(selected(lab.ns.home), [], 'a v4-only home has no usable IPv6');
    assert.deepEqual(selected(lab.ns.client), [lab.v6.clientIp6]);
  });
  await withLab({ home: 'on', client: 'off' }, (lab) => {
    assert.equal(lab.v6.clientIp6, null);
    assert.deepEqual(selected(lab.ns.client), []);
    assert.deepEqual(selected(lab.ns.home), [lab.v6.homeIp6]);
  });
});
