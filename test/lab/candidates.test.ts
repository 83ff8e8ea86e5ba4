// Issue 13 at product level on real kernel NAT: `porthole rendezvous/home/client` in the lab's
// namespaces, miniupnpd (nftables) on the home's router. A verified mapping is the client's path
// with no spray; behind a second NAT the mapping is not advertised; SIGTERM removes it from the
// router. Root only (fails loudly otherwise); numbers printed.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildPortmapLab, killRouters, type PortmapLab } from '../../lab/portmap-lab.js';
import { connectIn, killRoles, Role } from '../../lab/roles.js';
import { requireLab, skipLab } from './prereq.js';

const opts = { skip: skipLab, timeout: 60_000 };
let lab: PortmapLab | undefined;

before(() => {
  if (skipLab) return;
  requireLab();
  lab = buildPortmapLab();
});
after(() => {
  killRoles();
  killRouters();
  lab?.teardown();
});

const dnatRule = (l: PortmapLab, p: number): boolean =>
  l.ruleset().includes(`dnat ip to ${l.homeIp}:${p}`);
const portmapState = (state: string) => (l: Record<string, unknown>) =>
  l.msg === 'port mapping' && l.portmap === state;
const sprays = (stop: Record<string, unknown> | undefined): unknown =>
  (stop?.stats as { sprays?: number } | undefined)?.sprays;

async function homeAndClient(l: PortmapLab, homePort: number, rvPort: number, wanted: string) {
  const rv = Role.start(l.ns.inet, ['rendezvous', '--listen', `${l.inetIp}:${rvPort}`]);
  assert.ok(
    await rv.waitFor((x) => x.msg === 'rendezvous listening', 10_000),
    'rendezvous did not start',
  );
  const home = Role.start(l.ns.home, [
    'home',
    '--id',
    `pm-${homePort}`,
    '--rendezvous',
    `${l.inetIp}:${rvPort}`,
    '--listen',
    `${l.homeIp}:${homePort}`,
    '--portmap',
    'auto',
    '--ipv6',
    'off',
  ]);
  const t0 = Date.now();
  const settled = await home.waitFor(portmapState(wanted), 20_000);
  assert.ok(
    settled,
    `the home's port mapping never became ${wanted}: ${JSON.stringify(home.lines.filter((x) => x.msg === 'port mapping'))}`,
  );
  const mapMs = Date.now() - t0;
  await new Promise((r) => setTimeout(r, 300)); // the advertisement reaches the rendezvous
  const args = ['--home', `pm-${homePort}`, '--rendezvous', `${l.inetIp}:${rvPort}`];
  const again = () => connectIn(l.ns.inet, [...args, '--bind', l.inetIp, '--ipv6', 'off']);
  return { rv, home, c: again(), again, mapMs, settled };
}

for (const [i, service] of (['upnp', 'natpmp', 'pcp'] as const).entries()) {
  test(
    `candidates lab: miniupnpd with only ${service} → mapped path, zero spray, mapping removed on SIGTERM`,
    opts,
    async () => {
      const l = lab as PortmapLab;
      await l.startRouter(service);
      const hp = 42001 + i;
      const { rv, home, c, again, mapMs, settled } = await homeAndClient(
        l,
        hp,
        42400 + i,
        'mapped',
      );
      try {
        assert.ok(c.json, c.error);
        assert.equal(c.json.path, 'mapped', JSON.stringify(c.json));
        // The trial count: 20 connects in all, each a new client process.
        const paths = [c.json.path, ...Array.from({ length: 19 }, () => again().json?.path)];
        const mapped = paths.filter((p) => p === 'mapped').length;
        console.log(`candidates lab: ${service} mapped path ${mapped}/20 trials`);
        assert.equal(mapped, 20, paths.join(' '));
        assert.equal(settled?.external, `${l.routerWan}:${hp}`);
        assert.ok(dnatRule(l, hp), 'no DNAT rule in the router while mapped');
        assert.equal(await home.stop(), 0);
        const stopping = home.lines.find((x) => x.msg === 'home agent stopping');
        assert.equal(sprays(stopping), 0, 'the home sprayed');
        assert.ok(!dnatRule(l, hp), 'the mapping is still in the router after SIGTERM');
        console.log(
          `candidates lab: ${service} mapped+verified in ${mapMs} ms; client path mapped in ${String(c.json.ms)} ms, ` +
            `client packets ${String(c.json.packetsSent)}, sockets ${String(c.json.socketsOpened)}, home sprays 0; ` +
            `rule removed on SIGTERM`,
        );
      } finally {
        await home.stop();
        await rv.stop();
        await l.stopRouter();
      }
    },
  );
}

test(
  'candidates lab: no port-mapping server on the router → nothing advertised, punched',
  opts,
  async () => {
    const l = lab as PortmapLab;
    await l.startRouter('none');
    const { rv, home, c } = await homeAndClient(l, 42010, 42410, 'unavailable');
    try {
      assert.ok(c.json, c.error);
      assert.equal(c.json.path, 'punched');
      console.log(`candidates lab: no server → client path punched in ${String(c.json.ms)} ms`);
    } finally {
      await home.stop();
      await rv.stop();
      await l.stopRouter();
    }
  },
);

test(
  'candidates lab: router behind a second NAT → not advertised, the client traverses',
  opts,
  async () => {
    const l2 = buildPortmapLab({ doubleNat: true });
    try {
      await l2.startRouter('pcp');
      const { rv, home, c, settled } = await homeAndClient(l2, 42020, 42420, 'unavailable');
      try {
        assert.match(String(settled?.reason), /^double NAT/);
        assert.ok(c.json, c.error);
        assert.notEqual(c.json.path, 'mapped');
        assert.ok(!dnatRule(l2, 42020), 'the useless mapping was left in the router');
        console.log(
          `candidates lab: double NAT → "${String(settled?.reason)}"; client path ${String(c.json.path)} in ${String(c.json.ms)} ms`,
        );
      } finally {
        await home.stop();
        await rv.stop();
      }
    } finally {
      await l2.stopRouter();
      l2.teardown();
    }
  },
);
