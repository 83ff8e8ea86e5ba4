// Issue 13 end to end on the virtual network: rendezvous, home and client as the product runs
// them, with the candidates step before IPv4 traversal. Dual-stack pair: the IPv6 knock wins
// within 10 packets per side; IPv6 blocked or a v4-only client: IPv4 traversal still wins.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectWithCandidates } from '../../src/client/candidates.js';
import type { ConnectResult } from '../../src/client/connector.js';
import { HomeAgent } from '../../src/home/agent.js';
import { silentLogger, type Env, type UdpNet } from '../../src/net/types.js';
import { DualStackNet, ipv6Site } from '../../src/net/virtual/dual-stack.js';
import type { Firewall6Mode } from '../../src/net/virtual/firewall6.js';
import { PRESETS } from '../../src/net/virtual/presets.js';
import { VirtualWorld } from '../../src/net/virtual/world.js';
import { RendezvousServer } from '../../src/rendezvous/server.js';

const RV = { ip: '198.18.0.1', port: 7400 };
const ISP = { delayMs: 10, hops: 1 };

async function run(o: { homeFw: Firewall6Mode; clientV6: boolean }) {
  const w = new VirtualWorld(21);
  const env = (net: UdpNet): Env => ({ net, clock: w.clock, rng: w.rng, log: silentLogger });
  const rvHost = w.site(
    [],
    { publicIp: RV.ip, hostIp: RV.ip, innerIps: [] },
    { delayMs: 0, hops: 0, onCore: true },
  ).host;
  const side = (pub: string, lan: string, ip6: string, mode: Firewall6Mode) => {
    const v4 = w.site(PRESETS.port, { publicIp: pub, hostIp: lan, innerIps: [] }, ISP);
    return new DualStackNet(v4.host, ipv6Site(w, ip6, ISP, { mode }).host);
  };
  const homeNet = side('203.0.113.5', '192.168.1.2', '2001:db8:1::2', o.homeFw);
  const clientNet = side('192.0.2.5', '10.0.0.2', '2001:db8:2::2', 'stateful');
  const rv = new RendezvousServer(env(rvHost), { listen: { port: RV.port } });
  rv.start();
  const home = new HomeAgent(env(homeNet), {
    id: 'h6',
    rendezvous: RV,
    listen: { port: 7401 },
    candidates: { ipv6: ['2001:db8:1::2'] },
  });
  home.start();
  w.clock.run(3000);
  const t0 = w.clock.now();
  let result: ConnectResult | undefined;
  void connectWithCandidates(
    env(clientNet),
    { home: 'h6', rendezvous: RV, keepaliveMs: 0, sockets: 50 },
    { mode: 'auto', ipv6: o.clientV6 ? '2001:db8:2::2' : 'off' },
  ).then((r) => (result = r));
  // The step awaits between events: let promises settle while virtual time advances.
  for (let i = 0; i < 4000 && !result; i++) {
    w.clock.run(w.clock.now() + 5);
    await new Promise((r) => setImmediate(r));
  }
  const ms = w.clock.now() - t0;
  const stats = home.stats;
  if (result?.ok) result.connection.close();
  home.close();
  rv.close();
  return { result, ms, stats, rv };
}

test('candidates: dual-stack pair — IPv6 wins, ≤ 10 packets per side', async (t) => {
  const { result, ms, stats } = await run({ homeFw: 'stateful', clientV6: true });
  assert.ok(result?.ok, JSON.stringify(result && !result.ok ? result.error : ''));
  // The floor: one round trip to the rendezvous (20 ms: the sites are 10 ms from the core it
  // sits on) for the candidates, then one client ⇄ home round trip (40 ms) for the knock.
  const floor = 20 + 40;
  t.diagnostic(
    `ipv6 in ${result.report.ms} virtual ms (floor ${floor} ms: ${(result.report.ms / floor).toFixed(2)}×; direct RTT 40 ms); client sent ${result.report.packetsSent}, home knocked ${stats.candidates.knocks}`,
  );
  assert.equal(result.report.path, 'ipv6');
  assert.ok(result.report.packetsSent <= 10);
  assert.ok(stats.candidates.knocks <= 10);
  assert.equal(stats.candidates.ipv6?.startsWith('[2001:db8:1::2]:'), true);
  assert.equal(stats.sprays, 0, 'no IPv4 spray');
  assert.ok(ms < 1000);
});

test('candidates: the home firewall drops all IPv6 — IPv4 traversal wins', async () => {
  const { result } = await run({ homeFw: 'blocked', clientV6: true });
  assert.ok(result?.ok);
  assert.equal(result.report.path, 'punched');
});

test('candidates: a v4-only client — IPv4 traversal, the home is not asked to knock', async () => {
  const { result, stats } = await run({ homeFw: 'stateful', clientV6: false });
  assert.ok(result?.ok);
  assert.equal(result.report.path, 'punched');
  assert.equal(stats.candidates.knocks, 0);
});
