// NAT discovery behind one lab site: the lab's rendezvous host gets a second IP and runs our
// STUN server (two IPs × two ports); from the site's host, coturn's turnutils_natdiscovery and
// our own discovery (lab/stun-tool.ts) probe it. For the lab matrix and test/lab/discovery.test.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { NatClass } from '../src/discovery/nat-class.js';
import { natLabel } from '../src/discovery/nat-class.js';
import { buildLab, siteName, type SiteSpec } from './topology.js';

const TOOL = fileURLToPath(new URL('./stun-tool.js', import.meta.url));

export interface DiscoveryCheck {
  site: string;
  /** Our verdict (natDepth where measured). */
  nat: NatClass;
  /** Packets our discovery sent (classification + depth search). */
  sent: number;
  /** Time of our classification, ms. */
  elapsedMs: number;
  /** coturn's verdict lines without "NAT with" and "!", e.g. "Endpoint Independent Mapping". */
  coturn: string[];
}

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

export async function checkDiscovery(site: SiteSpec, firewall = true): Promise<DiscoveryCheck> {
  const lab = buildLab({
    home: site,
    client: { router: 'none', cgnat: false },
    firewall,
    lossPct: 0,
  });
  let server: ChildProcess | undefined;
  try {
    const ips = `${lab.rendezvousIp},${lab.rendezvousAltIp}`;
    const srv = spawn(
      'ip',
      ['netns', 'exec', lab.ns.rendezvous, process.execPath, TOOL, 'serve', ips, '3478,3479', '60'],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    server = srv;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('lab stun server did not start')), 5000);
      srv.stdout.once('data', () => (clearTimeout(t), resolve()));
    });
    // One after the other, every filtering test before any mapping test: the lab's restricted
    // router opens an address for the whole host once any socket contacted it, so a mapping
    // test towards the other IP would spoil every later filtering test.
    const coturn = (which: string): Promise<string> =>
      inNsAsync(
        lab.ns.home,
        ['turnutils_natdiscovery', which, '-p', '3478', lab.rendezvousIp],
        20_000,
      );
    const theirFiltering = await coturn('-f');
    const rv = `${lab.rendezvousIp}:3478`;
    const ours = await inNsAsync(lab.ns.home, [process.execPath, TOOL, 'classify', rv], 10_000);
    const theirs = (await coturn('-m')) + theirFiltering;
    let r: { nat: NatClass; elapsedMs: number; sent: number };
    try {
      r = JSON.parse(ours) as typeof r;
    } catch {
      throw new Error(`discovery in ${siteName(site)} printed no verdict: ${ours.slice(0, 300)}`);
    }
    const lines = theirs.split('\n').filter((l) => l.startsWith('NAT with '));
    return {
      site: siteName(site),
      nat: r.nat,
      sent: r.sent,
      elapsedMs: r.elapsedMs,
      coturn: lines.map((l) => l.slice('NAT with '.length).replace(/!$/, '')),
    };
  } finally {
    server?.kill('SIGKILL');
    lab.teardown();
  }
}

export function discoveryRow(c: DiscoveryCheck): string {
  const ours = natLabel(c.nat);
  return `${c.site.padEnd(16)} ${ours.padEnd(36)} ${String(c.sent).padStart(3)} pkts ${String(c.elapsedMs).padStart(4)} ms | coturn: ${c.coturn.join(', ')}`;
}
