// Issue 13 at product level on real kernel NAT: `porthole rendezvous/home/client` in the lab's
// namespaces, miniupnpd (nftables) on the home's router. A verified mapping is the client's path
// with no spray; behind a second NAT the mapping is not advertised; SIGTERM removes it from the
// router. Root only (fails loudly otherwise); numbers printed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildPortmapLab, killRouters, type PortmapLab } from '../../lab/portmap-lab.js';
import { connectErrorText, connectIn, killRoles, Role } from '../../lab/roles.js';
import { requireLab, skipLab } from './prereq.js';
import { jsonLine, run } from '../support/cli.js';
import { BIN } from '../../lab/runner.js';

/** A porthole command run to completion inside a lab namespace. */
const inLab = (ns: string, args: string[]) =>
  spawnSync('ip', ['netns', 'exec', ns, process.execPath, BIN, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });

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

async function homeAndClient(
  l: PortmapLab,
  homePort: number,
  rvPort: number,
  wanted: string,
  who: string[] = ['--id', `pm-${homePort}`],
  id = `pm-${homePort}`,
) {
  const rv = Role.start(l.ns.inet, ['rendezvous', '--listen', `${l.inetIp}:${rvPort}`]);
  assert.ok(
    await rv.waitFor((x) => x.msg === 'rendezvous listening', 10_000),
    'rendezvous did not start',
  );
  const home = Role.start(l.ns.home, [
    'home',
    ...who,
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
  const args = ['--home', id, '--rendezvous', `${l.inetIp}:${rvPort}`];
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

test(
  'candidates lab: secure home — `home status` shows the verified mapping and its lease; a paired client takes it, a stranger does not learn it',
  opts,
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'porthole-pmstatus-'));
    const homeDir = join(dir, 'home');
    const init = run(['home', 'init', '--state', homeDir, '--json']);
    assert.equal(init.status, 0, init.stderr);
    const homeId = String(jsonLine(init.stdout).homeId);
    const l = lab as PortmapLab;
    await l.startRouter('pcp');
    // The first connect comes from a client with no state: a stranger to this home.
    const who = ['--state', homeDir];
    const { rv, home, c: stranger } = await homeAndClient(l, 42030, 42430, 'mapped', who, homeId);
    try {
      const st = jsonLine(run(['home', 'status', '--state', homeDir, '--json']).stdout);
      const pm = st.portmap as Record<string, unknown>;
      assert.equal(st.running, true);
      assert.equal(pm.state, 'mapped', JSON.stringify(st));
      assert.equal(pm.protocol, 'pcp');
      assert.equal(pm.external, `${l.routerWan}:42030`);
      assert.ok(Number(pm.leaseLeftS) > 0, JSON.stringify(pm));
      assert.deepEqual(st.advertised, [`mapped ${l.routerWan}:42030`]);
      const human = run(['home', 'status', '--state', homeDir]).stdout;
      assert.match(human, /port mapping: mapped via pcp, external .* s left, verified/);
      console.log(`candidates lab: home status →\n${human}`);
      assert.notEqual(stranger.json?.path, 'mapped', 'a stranger learnt the mapped address');
      assert.match(connectErrorText(stranger), /the home refused/);
      const client = join(dir, 'client');
      assert.equal(run(['client', 'init', '--state', client]).status, 0);
      const code = String(
        jsonLine(run(['home', 'pair', '--state', homeDir, '--json']).stdout).code,
      );
      const pair = inLab(l.ns.inet, [
        'client',
        'pair',
        code,
        '--state',
        client,
        '--bind',
        l.inetIp,
      ]);
      assert.equal(pair.status, 0, pair.stderr);
      const paired = connectIn(l.ns.inet, [
        ...['--state', client, '--home', homeId, '--bind', l.inetIp, '--ipv6', 'off'],
      ]);
      assert.equal(paired.json?.path, 'mapped', JSON.stringify(paired.json ?? paired.error));
      console.log(
        `candidates lab: secure home, paired client → mapped in ${String(paired.json?.ms)} ms; stranger → ${connectErrorText(stranger)}`,
      );
    } finally {
      await home.stop();
      await rv.stop();
      await l.stopRouter();
    }
    const after = run(['home', 'status', '--state', homeDir]);
    assert.equal(after.status, 3);
  },
);
