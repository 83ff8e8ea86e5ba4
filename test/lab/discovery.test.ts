// NAT discovery on real kernel NAT: behind each lab router kind, our classifier and coturn's
// turnutils_natdiscovery both probe the STUN server on the lab's rendezvous host (two IPs, two
// ports) and must agree with the kind the lab built. Fails loudly without root.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { inNs } from '../../lab/netns.js';
import { buildLab, parseSite } from '../../lab/topology.js';
import type { NatClass } from '../../src/discovery/nat-class.js';
import { natLabel } from '../../src/discovery/nat-class.js';
import { requireLab, skipLab } from './prereq.js';

const TOOL = fileURLToPath(new URL('../../lab/stun-tool.js', import.meta.url));
const ALT_IP = '198.51.100.2';

type Want = Pick<NatClass, 'mapping' | 'filtering' | 'allocation' | 'natDepth' | 'hairpin'>;
const KINDS: Record<string, { want: Want; coturn: [string, string] }> = {
  full: {
    want: {
      mapping: 'independent',
      filtering: 'independent',
      allocation: 'preserving',
      hairpin: false,
    },
    coturn: ['Endpoint Independent Mapping', 'Endpoint Independent Filtering'],
  },
  restricted: {
    // No depth: the lab's router opens an address for the whole host, so the control of the
    // depth search gets in without a probe (and the search says so).
    want: {
      mapping: 'independent',
      filtering: 'address',
      allocation: 'preserving',
      hairpin: false,
    },
    coturn: ['Endpoint Independent Mapping', 'Address Dependent Filtering'],
  },
  port: {
    want: {
      mapping: 'independent',
      filtering: 'address-port',
      allocation: 'preserving',
      hairpin: false,
      natDepth: 1,
    },
    coturn: ['Endpoint Independent Mapping', 'Address and Port Dependent Filtering'],
  },
  symmetric: {
    want: {
      mapping: 'address-port',
      filtering: 'address-port',
      allocation: 'random',
      hairpin: false,
    },
    coturn: ['Address and Port Dependent Mapping', 'Address and Port Dependent Filtering'],
  },
  'cgnat-port': {
    want: {
      mapping: 'independent',
      filtering: 'address-port',
      allocation: 'preserving',
      hairpin: false,
      natDepth: 2,
    },
    coturn: ['Endpoint Independent Mapping', 'Address and Port Dependent Filtering'],
  },
  'cgnat-symmetric': {
    want: {
      mapping: 'address-port',
      filtering: 'address-port',
      allocation: 'random',
      hairpin: false,
    },
    coturn: ['Address and Port Dependent Mapping', 'Address and Port Dependent Filtering'],
  },
};

/** Runs `args` in namespace `ns`; resolves with stdout + stderr (killed after `ms`). */
function inNsAsync(ns: string, args: string[], ms: number): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), ms);
    p.on('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

test(
  'lab discovery: our classifier and coturn natdiscovery agree with every router kind',
  { skip: skipLab, timeout: 120_000 },
  async () => {
    requireLab();
    const rows: string[] = [];
    for (const [kind, { want, coturn: theirWant }] of Object.entries(KINDS)) {
      const lab = buildLab({
        home: parseSite(kind),
        client: parseSite('none'),
        firewall: true,
        lossPct: 0,
      });
      let server: ChildProcess | undefined;
      try {
        inNs(lab.ns.rendezvous, 'ip', ['addr', 'add', `${ALT_IP}/32`, 'dev', 'lo']);
        const ips = `${lab.rendezvousIp},${ALT_IP}`;
        const srv = spawn(
          'ip',
          [
            'netns',
            'exec',
            lab.ns.rendezvous,
            process.execPath,
            TOOL,
            'serve',
            ips,
            '3478,3479',
            '30',
          ],
          {
            stdio: ['pipe', 'pipe', 'inherit'],
          },
        );
        server = srv;
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('stun server did not start')), 5000);
          srv.stdout.once('data', () => (clearTimeout(t), resolve()));
        });
        const rv = `${lab.rendezvousIp}:3478`;
        // One after the other, every filtering test before any mapping test: the lab's
        // restricted router opens an address for the whole host once any socket contacted it,
        // so a mapping test towards the other IP would spoil every later filtering test.
        const coturn = (test: string): Promise<string> =>
          inNsAsync(
            lab.ns.home,
            ['turnutils_natdiscovery', test, '-p', '3478', lab.rendezvousIp],
            20_000,
          );
        const theirFiltering = await coturn('-f');
        const ours = await inNsAsync(lab.ns.home, [process.execPath, TOOL, 'classify', rv], 10_000);
        const theirs = (await coturn('-m')) + theirFiltering;
        const r = JSON.parse(ours) as { nat: NatClass; elapsedMs: number; sent: number };
        const verdict = theirs
          .split('\n')
          .filter((l) => l.startsWith('NAT with'))
          .map((l) => l.slice(9, -1));
        rows.push(
          `${kind.padEnd(15)} ours: ${natLabel(r.nat).padEnd(40)} ${String(r.sent).padStart(3)} pkts ${String(r.elapsedMs).padStart(4)} ms | coturn: ${verdict.join(', ')}`,
        );
        const got: Want = {
          mapping: r.nat.mapping,
          filtering: r.nat.filtering,
          allocation: r.nat.allocation,
          hairpin: r.nat.hairpin,
          ...(r.nat.natDepth !== undefined ? { natDepth: r.nat.natDepth } : {}),
        };
        assert.deepEqual(got, want, `${kind}: ${ours}`);
        for (const c of theirWant)
          assert.ok(verdict.includes(c), `${kind}: coturn says ${verdict.join(', ')}; want ${c}`);
      } finally {
        server?.kill('SIGKILL');
        lab.teardown();
      }
    }
    console.log(rows.join('\n'));
  },
);
