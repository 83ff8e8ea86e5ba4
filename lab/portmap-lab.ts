// A small lab for router port mapping: a home behind one router that runs Debian's miniupnpd
// (nftables backend), and an "internet" host on the router's WAN side.
//
//   home 192.168.77.2 ─ lan [router, miniupnpd] wan 11.0.0.1 ─ inet 11.0.0.2
//   double NAT:  … wan 11.0.0.1 ─ [cgnat] 11.0.1.1 ─ inet 11.0.1.2
//
// miniupnpd 2.3.1 refuses to map when its WAN address is private or reserved (RFC 1918, 100.64/10,
// 198.18/15, the TEST-NETs), so the WAN side uses 11.0.0.0/16. It exists only inside these
// isolated namespaces: nothing is routed to or from the host or anywhere else.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteNamespaces, inNs, LabError, nft, sh } from './netns.js';

/** Which port-mapping service the router offers. */
export type RouterService = 'upnp' | 'natpmp' | 'pcp' | 'none';
export const ROUTER_SERVICES: readonly RouterService[] = ['upnp', 'natpmp', 'pcp', 'none'];

export interface PortmapLab {
  readonly ns: { readonly home: string; readonly router: string; readonly inet: string };
  readonly homeIp: string;
  readonly routerLan: string;
  /** The router's WAN address (what it reports as external). */
  readonly routerWan: string;
  /** The home's public address as a host on the internet sees it (differs under double NAT). */
  readonly publicIp: string;
  readonly inetIp: string;
  /** Starts miniupnpd offering `service` ('none': nothing) and waits until it listens. */
  startRouter(service: RouterService): Promise<void>;
  /** SIGTERM to miniupnpd (it removes its rules), bounded. */
  stopRouter(): Promise<void>;
  /** `nft list ruleset` in the router. */
  ruleset(): string;
  teardown(): void;
}

// The router's own tables: NAT for the LAN, a default-drop forward filter, and the chains
// miniupnpd fills (its defaults: table "filter", chains "miniupnpd", "prerouting_miniupnpd",
// "postrouting_miniupnpd"; the same layout as /etc/miniupnpd/nft_init.sh).
const ROUTER_RULES = `
table inet filter {
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    iifname "lan" accept
    jump miniupnpd
  }
  chain miniupnpd { }
  chain prerouting { type nat hook prerouting priority -100; policy accept; jump prerouting_miniupnpd; }
  chain postrouting {
    type nat hook postrouting priority 100; policy accept;
    jump postrouting_miniupnpd
    oifname "wan" masquerade
  }
  chain prerouting_miniupnpd { }
  chain postrouting_miniupnpd { }
}`;

/**
 * miniupnpd enables NAT-PMP and PCP together (one port, 5351); to offer only one of them the
 * router drops the other by its version byte (0: NAT-PMP, 2: PCP), the first payload byte.
 */
const onlyVersion = (keep: 0 | 2): string => `
table inet pmonly {
  chain input {
    type filter hook input priority -10; policy accept;
    udp dport 5351 @th,64,8 != ${keep} drop
  }
}`;

const CGNAT_RULES = `
table ip cgnat { chain post { type nat hook postrouting priority 100; oifname "uplink" masquerade; }; }`;

const live = new Set<ChildProcess>();
/** Kills every miniupnpd this module started (failures, Ctrl-C). */
export function killRouters(): void {
  for (const p of live) p.kill('SIGKILL');
  live.clear();
}

let count = 0;

export function buildPortmapLab(opts: { doubleNat?: boolean } = {}): PortmapLab {
  // `ph<pid>l<n>-` lets lab/netns.ts clean these up if this process dies.
  const prefix = `ph${process.pid}l${900 + count++}`;
  const teardownNs = (): void => deleteNamespaces(prefix + '-');
  const dir = mkdtempSync(join(tmpdir(), 'ph-portmap-'));
  let proc: ChildProcess | undefined;
  try {
    const ns = (name: string): string => {
      const full = `${prefix}-${name}`;
      sh('ip', ['netns', 'add', full]);
      inNs(full, 'ip', ['link', 'set', 'lo', 'up']);
      return full;
    };
    const link = (a: string, ifA: string, b: string, ifB: string): void => {
      sh('ip', ['link', 'add', ifA, 'netns', a, 'type', 'veth', 'peer', 'name', ifB, 'netns', b]);
      inNs(a, 'ip', ['link', 'set', ifA, 'up']);
      inNs(b, 'ip', ['link', 'set', ifB, 'up']);
    };
    const ip = (n: string, ...args: string[]): string => inNs(n, 'ip', args);
    const home = ns('home');
    const router = ns('rt');
    const inet = ns('inet');
    link(home, 'eth0', router, 'lan');
    ip(home, 'addr', 'add', '192.168.77.2/24', 'dev', 'eth0');
    ip(home, 'route', 'add', 'default', 'via', '192.168.77.1');
    ip(router, 'addr', 'add', '192.168.77.1/24', 'dev', 'lan');
    inNs(router, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    nft(router, ROUTER_RULES);
    let [publicIp, inetIp] = ['11.0.0.1', '11.0.0.2'];
    if (opts.doubleNat) {
      const cg = ns('cgnat');
      inNs(cg, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
      link(router, 'wan', cg, 'cust');
      link(cg, 'uplink', inet, 'cust');
      ip(cg, 'addr', 'add', '11.0.0.2/24', 'dev', 'cust');
      ip(cg, 'addr', 'add', '11.0.1.1/24', 'dev', 'uplink');
      ip(inet, 'addr', 'add', '11.0.1.2/24', 'dev', 'cust');
      nft(cg, CGNAT_RULES);
      [publicIp, inetIp] = ['11.0.1.1', '11.0.1.2'];
    } else {
      link(router, 'wan', inet, 'cust');
      ip(inet, 'addr', 'add', '11.0.0.2/24', 'dev', 'cust');
    }
    ip(router, 'addr', 'add', '11.0.0.1/24', 'dev', 'wan');
    ip(router, 'route', 'add', 'default', 'via', '11.0.0.2');

    const stopRouter = async (): Promise<void> => {
      const p = proc;
      proc = undefined;
      if (!p || p.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => (p.kill('SIGKILL'), resolve()), 3000);
        p.once('exit', () => (clearTimeout(t), resolve()));
        p.kill('SIGTERM');
      });
      live.delete(p);
    };

    return {
      ns: { home, router, inet },
      homeIp: '192.168.77.2',
      routerLan: '192.168.77.1',
      routerWan: '11.0.0.1',
      publicIp,
      inetIp,
      ruleset: () => inNs(router, 'nft', ['list', 'ruleset']),
      stopRouter,
      async startRouter(service) {
        await stopRouter();
        spawnSync('ip', ['netns', 'exec', router, 'nft', 'delete', 'table', 'inet', 'pmonly'], {
          stdio: 'ignore',
        });
        if (service === 'none') return;
        if (service !== 'upnp') nft(router, onlyVersion(service === 'pcp' ? 2 : 0));
        const conf = join(dir, 'miniupnpd.conf');
        writeFileSync(
          conf,
          [
            'ext_ifname=wan',
            'listening_ip=lan',
            `enable_upnp=${service === 'upnp' ? 'yes' : 'no'}`,
            `enable_natpmp=${service === 'upnp' ? 'no' : 'yes'}`,
            'secure_mode=yes',
            // Short NAT-PMP/PCP leases (default minimum 120 s) so the lab can watch renewals.
            'min_lifetime=2',
            'http_port=0',
            'uuid=6f1c2a3e-4b5d-4e6f-8a9b-0c1d2e3f4a5b',
            'allow 1024-65535 192.168.77.0/24 1024-65535',
            'deny 0-65535 0.0.0.0/0 0-65535',
          ].join('\n') + '\n',
        );
        const p = spawn(
          'ip',
          [
            'netns',
            'exec',
            router,
            '/usr/sbin/miniupnpd',
            '-f',
            conf,
            '-d',
            '-P',
            join(dir, 'pid'),
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        live.add(p);
        proc = p;
        const ready = service === 'upnp' ? 'HTTP listening' : 'Listening for NAT-PMP/PCP';
        await new Promise<void>((resolve, reject) => {
          let log = '';
          const t = setTimeout(
            () => reject(new LabError(`miniupnpd did not start:\n${log}`)),
            5000,
          );
          const on = (b: Buffer): void => {
            if (log.length < 65536) log += b.toString(); // keep draining, keep little
            if (log.includes(ready)) {
              clearTimeout(t);
              resolve();
            }
          };
          p.stdout?.on('data', on);
          p.stderr?.on('data', on);
          p.once(
            'exit',
            (code) => (clearTimeout(t), reject(new LabError(`miniupnpd exited ${code}:\n${log}`))),
          );
        });
      },
      teardown() {
        if (proc) proc.kill('SIGKILL');
        proc = undefined;
        teardownNs();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    teardownNs();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
