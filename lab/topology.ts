// Builds the lab in network namespaces:
//
//   home host ─ [home router] ─ [CGNAT] ─ ISP-A ─┐
//                                              core (rendezvous 198.51.100.1)
//   client host ─ [client router] ─ [CGNAT] ─ ISP-B ─┘
//
// (optionally the rendezvous sits rvDepth router hops behind the core, as in a far datacenter)
//
// Two ISP hops and a core router sit between the sides, as on the internet, so a hole-opening
// packet with a small TTL can pass its own NATs and still die before the far NAT. Addresses are
// documentation ranges on the "internet" and private ranges behind the routers; nothing leaves
// the namespaces.
import { deleteNamespaces, nft, inNs, sh } from './netns.js';

export type RouterKind = 'none' | 'full' | 'restricted' | 'port' | 'symmetric';
export const ROUTER_KINDS: readonly RouterKind[] = [
  'none',
  'full',
  'restricted',
  'port',
  'symmetric',
];

export interface SiteSpec {
  router: RouterKind;
  /** A port-preserving, endpoint-independent CGNAT in front of the router. */
  cgnat: boolean;
}

export interface LabSpec {
  home: SiteSpec;
  client: SiteSpec;
  /** Routers drop unsolicited traffic to themselves (the usual home-router firewall). */
  firewall: boolean;
  /** Random loss on each ISP router, percent. */
  lossPct: number;
  /**
   * Extra router hops between the core and the rendezvous (0: it sits on the core). A far
   * rendezvous makes "one hop less than the rendezvous" too long a TTL to stop before the peer.
   */
  rvDepth?: number;
}

export interface Lab {
  prefix: string;
  ns: {
    core: string;
    rendezvous: string;
    home: string;
    client: string;
    /** Every NAT (outermost first on each side), and each side's own. */
    nats: string[];
    homeNats: string[];
    clientNats: string[];
  };
  rendezvousIp: string;
  /** The rendezvous host's second IP (RFC 5780 CHANGE-REQUEST tests, `--alt-ip`). */
  rendezvousAltIp: string;
  /** Each side's public /24 (its outermost NAT's WAN, or the host itself without one). */
  homePublicNet: string;
  clientPublicNet: string;
  homeIp: string;
  clientIp: string;
  teardown(): void;
}

const RV_IP = '198.51.100.1';
const RV_ALT_IP = '198.51.100.2';

export function siteName(s: SiteSpec): string {
  return s.cgnat ? `cgnat-${s.router}` : s.router;
}

export function parseSite(text: string): SiteSpec {
  const cgnat = text.startsWith('cgnat-');
  const router = (cgnat ? text.slice(6) : text) as RouterKind;
  if (!ROUTER_KINDS.includes(router)) {
    throw new Error(
      `"${text}" is not a lab site (${ROUTER_KINDS.join('|')}, optionally prefixed cgnat-)`,
    );
  }
  return { router, cgnat };
}

function natRules(kind: RouterKind | 'cgnat', lanHost: string, firewall: boolean): string {
  const masq = kind === 'symmetric' ? 'masquerade random' : 'masquerade';
  const dnat =
    kind === 'full'
      ? `chain pre { type nat hook prerouting priority -100; iifname "wan" udp dport 1024-65535 dnat to ${lanHost}; }`
      : kind === 'restricted'
        ? `set contacted { type ipv4_addr; flags dynamic,timeout; timeout 120s; }
           chain track { type filter hook forward priority -10; oifname "wan" update @contacted { ip daddr }; }
           chain pre { type nat hook prerouting priority -100; iifname "wan" ip saddr @contacted udp dport 1024-65535 dnat to ${lanHost}; }`
        : '';
  return `
table ip phnat {
  chain post { type nat hook postrouting priority 100; oifname "wan" ${masq}; }
  ${dnat}
}
table inet phfw {
  chain input {
    type filter hook input priority 0; policy ${firewall ? 'drop' : 'accept'};
    ct state established,related accept
    iifname { "lan", "lo" } accept
  }
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    ct status dnat accept
    iifname "lan" accept
  }
}`;
}

function lossRules(pct: number): string {
  return `
table inet phloss {
  chain forward {
    type filter hook forward priority -50;
    meta l4proto udp numgen random mod 100 < ${pct} drop
  }
}`;
}

let labCount = 0;

export function buildLab(spec: LabSpec): Lab {
  const prefix = `ph${process.pid}l${labCount++}`;
  const made: string[] = [];
  const ns = (name: string): string => {
    const full = `${prefix}-${name}`;
    sh('ip', ['netns', 'add', full]);
    made.push(full);
    inNs(full, 'ip', ['link', 'set', 'lo', 'up']);
    inNs(full, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    return full;
  };
  const teardown = (): void => deleteNamespaces(prefix + '-');
  try {
    const link = (a: string, ifA: string, b: string, ifB: string): void => {
      sh('ip', ['link', 'add', ifA, 'netns', a, 'type', 'veth', 'peer', 'name', ifB, 'netns', b]);
      inNs(a, 'ip', ['link', 'set', ifA, 'up']);
      inNs(b, 'ip', ['link', 'set', ifB, 'up']);
    };
    const addr = (n: string, cidr: string, dev: string): string =>
      inNs(n, 'ip', ['addr', 'add', cidr, 'dev', dev]);
    const route = (n: string, dst: string, via: string): string =>
      inNs(n, 'ip', ['route', 'add', dst, 'via', via]);

    const core = ns('core');
    // The rendezvous host: the core itself, or the end of a chain of rvDepth routers.
    let rv = core;
    for (let i = 1; i <= (spec.rvDepth ?? 0); i++) {
      const next = ns(`dc${i}`);
      const [up, down] = [`198.51.100.${16 + 4 * i + 1}`, `198.51.100.${16 + 4 * i + 2}`];
      link(rv, 'todc', next, 'uplink');
      addr(rv, `${up}/30`, 'todc');
      addr(next, `${down}/30`, 'uplink');
      route(rv, `${RV_IP}/32`, down);
      route(rv, `${RV_ALT_IP}/32`, down);
      route(next, 'default', up);
      rv = next;
    }
    addr(rv, `${RV_IP}/32`, 'lo');
    addr(rv, `${RV_ALT_IP}/32`, 'lo');
    const nats: string[] = [];

    /** One side: ISP router, then [CGNAT], [router], host; returns the host's namespace and IP. */
    const side = (
      tag: 'h' | 'c',
      site: SiteSpec,
      pub: string,
      linkNet: string,
      lan: string,
      cg: string,
    ) => {
      const [coreIp, ispIp] =
        tag === 'h' ? [`${linkNet}.5`, `${linkNet}.6`] : [`${linkNet}.9`, `${linkNet}.10`];
      const isp = ns(`isp${tag}`);
      link(core, `to${tag}`, isp, 'core');
      addr(core, `${coreIp}/30`, `to${tag}`);
      addr(isp, `${ispIp}/30`, 'core');
      route(core, `${pub}.0/24`, ispIp);
      route(isp, 'default', coreIp);
      if (spec.lossPct > 0) nft(isp, lossRules(spec.lossPct));

      const devices: Array<{ kind: RouterKind | 'cgnat'; n: string; lanNet: string }> = [];
      if (site.cgnat) devices.push({ kind: 'cgnat', n: ns(`cg${tag}`), lanNet: cg });
      if (site.router !== 'none')
        devices.push({ kind: site.router, n: ns(`r${tag}`), lanNet: lan });
      const host = ns(tag === 'h' ? 'home' : 'client');

      // Walk inwards: each hop's downstream link is a /24 where the upstream side is .1.
      let upNs = isp;
      let upIf = 'cust';
      let net = pub;
      for (const dev of devices) {
        link(upNs, upIf, dev.n, 'wan');
        addr(upNs, `${net}.1/24`, upIf);
        addr(dev.n, `${net}.2/24`, 'wan');
        route(dev.n, 'default', `${net}.1`);
        nats.push(dev.n);
        nft(dev.n, natRules(dev.kind, `${dev.lanNet}.2`, spec.firewall));
        upNs = dev.n;
        upIf = 'lan';
        net = dev.lanNet;
      }
      link(upNs, upIf, host, 'eth0');
      addr(upNs, `${net}.1/24`, upIf);
      addr(host, `${net}.2/24`, 'eth0');
      route(host, 'default', `${net}.1`);
      return { host, ip: `${net}.2`, nats: devices.map((d) => d.n) };
    };

    const home = side('h', spec.home, '203.0.113', '198.51.100', '192.168.1', '100.64.0');
    const client = side('c', spec.client, '192.0.2', '198.51.100', '10.0.0', '100.64.1');
    return {
      prefix,
      ns: {
        core,
        rendezvous: rv,
        home: home.host,
        client: client.host,
        nats,
        homeNats: home.nats,
        clientNats: client.nats,
      },
      rendezvousIp: RV_IP,
      rendezvousAltIp: RV_ALT_IP,
      homePublicNet: '203.0.113.0/24',
      clientPublicNet: '192.0.2.0/24',
      homeIp: home.ip,
      clientIp: client.ip,
      teardown,
    };
  } catch (e) {
    teardown();
    throw e;
  }
}
