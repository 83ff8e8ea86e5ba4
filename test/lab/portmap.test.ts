// Router port mapping against a real server: Debian's miniupnpd (nftables) on the lab router,
// offering UPnP-IGD, NAT-PMP or PCP alone, or nothing; and a router behind a second NAT.
// Timings are printed, not asserted.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildPortmapLab, killRouters, type PortmapLab } from '../../lab/portmap-lab.js';
import { killPortmapHomes, PortmapHome, type HomeEvent } from '../../lab/portmap-home-ctl.js';
import { killUdpAgents, UdpAgent } from '../../lab/udp-agent.js';
import { requireLab, skipLab } from './prereq.js';

const opts = { skip: skipLab, timeout: 30_000 };
let lab: PortmapLab | undefined;
let port = 41000;

before(() => {
  if (skipLab) return;
  requireLab();
  lab = buildPortmapLab();
});
after(() => {
  killPortmapHomes();
  killUdpAgents();
  killRouters();
  lab?.teardown();
});

const status = (e: HomeEvent | null): Extract<HomeEvent, { ev: 'status' }> => {
  assert.ok(e && e.ev === 'status', 'the home reported no settled port-mapping state in time');
  return e;
};

/** The router's DNAT rule for the home's port, as miniupnpd writes it. */
const dnatRule = (l: PortmapLab, p: number): boolean =>
  l.ruleset().includes(`dnat ip to ${l.homeIp}:${p}`);

for (const service of ['pcp', 'natpmp', 'upnp'] as const) {
  test(
    `portmap lab: miniupnpd with only ${service} → mapped, reachable, deleted on SIGTERM`,
    opts,
    async () => {
      const l = lab as PortmapLab;
      await l.startRouter(service);
      const inet = UdpAgent.start(l.ns.inet);
      try {
        await inet.open('v');
        const p = port++;
        // A 4 s lease for NAT-PMP and PCP: the mapping must outlive it (renewed at half-life).
        const lifetimeS = service === 'upnp' ? undefined : 4;
        const home = PortmapHome.start(
          l.ns.home,
          { port: p, observedIp: l.publicIp, lifetimeS },
          inet,
        );
        const s = status(await home.settled(15_000));
        assert.equal(s.state, 'mapped', `state ${s.state}: ${s.reason ?? ''}`);
        assert.equal(s.protocol, service);
        assert.equal(s.external, `${l.routerWan}:${p}`);
        console.log(
          `portmap lab: ${service} mapped in ${s.ms} ms (verified from the internet side)`,
        );
        assert.ok(dnatRule(l, p), `no DNAT rule for :${p} in the router's nftables`);
        await inet.send('v', s.external ?? '', `hello-${service}`);
        const got = await home.waitFor(
          (e) => e.ev === 'recv' && e.data === `hello-${service}`,
          2000,
        );
        assert.ok(got, 'a packet to the mapped address did not reach the home socket');
        if (lifetimeS) {
          await new Promise((r) => setTimeout(r, 2 * lifetimeS * 1000));
          assert.equal(home.events.filter((e) => e.ev === 'status').at(-1)?.state, 'mapped');
          await inet.send('v', s.external ?? '', `later-${service}`);
          const later = await home.waitFor(
            (e) => e.ev === 'recv' && e.data === `later-${service}`,
            2000,
          );
          assert.ok(later, `the mapping did not survive ${2 * lifetimeS} s (renewals)`);
        }
        assert.ok(await home.stop(), 'the home did not close cleanly on SIGTERM');
        assert.ok(!dnatRule(l, p), 'the mapping is still in the router after the home stopped');
      } finally {
        inet.close();
        await l.stopRouter();
      }
    },
  );
}

test('portmap lab: no server on the router → unavailable, quickly', opts, async () => {
  const l = lab as PortmapLab;
  await l.startRouter('none');
  const home = PortmapHome.start(l.ns.home, { port: port++ });
  const s = status(await home.settled(15_000));
  assert.equal(s.state, 'unavailable');
  console.log(`portmap lab: none → unavailable in ${s.ms} ms (${s.reason})`);
  assert.ok(await home.stop());
});

test(
  'portmap lab: router behind a second NAT → detected, not advertised, deleted',
  opts,
  async () => {
    const l = buildPortmapLab({ doubleNat: true });
    const inet = UdpAgent.start(l.ns.inet);
    try {
      await l.startRouter('pcp');
      await inet.open('v');
      // The rendezvous saw the CGNAT's address: the router's claim contradicts it.
      const p1 = port++;
      const a = PortmapHome.start(l.ns.home, { port: p1, observedIp: l.publicIp }, inet);
      const s1 = status(await a.settled(15_000));
      assert.equal(s1.state, 'unavailable');
      assert.match(s1.reason ?? '', /^double NAT/);
      assert.ok(!dnatRule(l, p1), 'the useless mapping was left in the router');
      assert.ok(await a.stop());
      // Without an observed address, the real verification (a packet from the internet side) fails.
      const p2 = port++;
      const b = PortmapHome.start(l.ns.home, { port: p2 }, inet);
      const s2 = status(await b.settled(15_000));
      assert.equal(s2.state, 'unavailable');
      assert.match(s2.reason ?? '', /^unverified/);
      assert.ok(!dnatRule(l, p2));
      assert.ok(await b.stop());
      console.log(`portmap lab: double NAT → "${s1.reason}" / "${s2.reason}"`);
    } finally {
      inet.close();
      await l.stopRouter();
      l.teardown();
    }
  },
);
