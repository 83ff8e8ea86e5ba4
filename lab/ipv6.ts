// IPv6 on a built lab (issue 13): global addresses from the documentation prefix 2001:db8::/32
// on every namespace, static routes, forwarding on, and NO NAT for IPv6 — only a stateful
// firewall on each site's own router: replies (ct established,related) come in, anything new
// from the WAN side is dropped. The lab's IPv4 NAT (topology.ts) is untouched; its `phnat`
// table is `ip`-only, so IPv6 is never translated.
//
//   home side   2001:db8:1::/48   link k of the side (ISP→…→host) is 2001:db8:1:k::/64
//   client side 2001:db8:2::/48   (upstream end ::1, downstream end ::2)
//   core links  2001:db8:f:1::/64 (home ISP), 2001:db8:f:2::/64 (client ISP), 2001:db8:f:1i::/64
//   rendezvous  2001:db8:ff::1
//
// Per side, `Ipv6Mode`: 'on' (dual-stack behind the stateful firewall), 'off' (the host has no
// global IPv6: a v4-only home or client), 'blocked' (the host has an address but its router
// drops every forwarded IPv6 packet, both ways — broken IPv6, the product must fall back).
// A CGNAT is a v4 device: for IPv6 it is a plain router that filters nothing.
import { inNs, LabError, listNamespaces, nft } from './netns.js';
import { buildLab, type Lab, type LabSpec } from './topology.js';

export type Ipv6Mode = 'on' | 'off' | 'blocked';
export const IPV6_MODES: readonly Ipv6Mode[] = ['on', 'off', 'blocked'];

export interface Ipv6Spec {
  home: Ipv6Mode;
  client: Ipv6Mode;
}

export interface LabIpv6 {
  readonly modes: Ipv6Spec;
  readonly rendezvousIp6: string;
  /** The host's global address; null when its mode is 'off'. */
  readonly homeIp6: string | null;
  readonly clientIp6: string | null;
  /** The namespace whose `ph6fw` table filters each side (null: no router on that side). */
  readonly homeFirewall: string | null;
  readonly clientFirewall: string | null;
}

export type Lab6 = Lab & { v6: LabIpv6 };

export const RV_IP6 = '2001:db8:ff::1';
const CORE6 = '2001:db8:f';

/** The site router's firewall: the whole IPv6 policy, in its own table (priority before phfw). */
function firewallRules(mode: 'on' | 'blocked'): string {
  const policy =
    mode === 'blocked'
      ? 'counter drop'
      : `ct state established,related accept
         iifname "wan" counter drop`;
  return `
table ip6 ph6fw {
  chain forward {
    type filter hook forward priority -1; policy accept;
    ${policy}
  }
}`;
}

/** Lets neighbour discovery reach a lab router through topology.ts's `phfw` input policy. */
const ND_ACCEPT = 'icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept';

function ipv6Sysctls(ns: string, forwarding: boolean): void {
  inNs(ns, 'sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=0']);
  inNs(ns, 'sysctl', ['-qw', 'net.ipv6.conf.default.disable_ipv6=0']);
  if (forwarding) inNs(ns, 'sysctl', ['-qw', 'net.ipv6.conf.all.forwarding=1']);
}

// `nodad`: the address is usable at once (no duplicate-address detection delay in a fresh lab).
const addr6 = (ns: string, cidr: string, dev: string): void =>
  void inNs(ns, 'ip', ['-6', 'addr', 'add', cidr, 'dev', dev, 'nodad']);
const route6 = (ns: string, dst: string, via: string): void =>
  void inNs(ns, 'ip', ['-6', 'route', 'add', dst, 'via', via]);

interface SideChain {
  tag: 'h' | 'c';
  side: string; // the /48, e.g. 2001:db8:1
  coreLink: string; // e.g. 2001:db8:f:1
  isp: string;
  devices: string[]; // outermost first, as Lab.ns.homeNats
  host: string;
  /** The site's own router (stateful firewall), if it has one. */
  router: string | null;
}

function addSide(lab: Lab, c: SideChain, mode: Ipv6Mode): string | null {
  const core = lab.ns.core;
  ipv6Sysctls(c.isp, true);
  addr6(core, `${c.coreLink}::1/64`, `to${c.tag}`);
  addr6(c.isp, `${c.coreLink}::2/64`, 'core');
  route6(core, `${c.side}::/48`, `${c.coreLink}::2`);
  route6(c.isp, 'default', `${c.coreLink}::1`);

  const chain = [c.isp, ...c.devices, c.host];
  const last = chain.length - 1;
  for (let k = 0; k < last; k++) {
    const [up, down] = [chain[k] as string, chain[k + 1] as string];
    const net = `${c.side}:${k}`;
    const hostEnd = k + 1 === last;
    if (hostEnd && mode === 'off') break; // a v4-only host: no global address, no route
    ipv6Sysctls(down, !hostEnd);
    addr6(up, `${net}::1/64`, k === 0 ? 'cust' : 'lan');
    addr6(down, `${net}::2/64`, hostEnd ? 'eth0' : 'wan');
    route6(down, 'default', `${net}::1`);
    if (!hostEnd) route6(up, `${c.side}::/48`, `${net}::2`);
  }
  for (const dev of c.devices) {
    inNs(dev, 'nft', ['insert', 'rule', 'inet', 'phfw', 'input', ...ND_ACCEPT.split(' ')]);
    // Only the site router filters IPv6; a CGNAT forwards it as a plain router.
    if (dev !== c.router)
      inNs(dev, 'nft', [
        'insert',
        'rule',
        'inet',
        'phfw',
        'forward',
        'meta',
        'nfproto',
        'ipv6',
        'accept',
      ]);
  }
  if (c.router && mode !== 'off') nft(c.router, firewallRules(mode));
  // No router at all ('none': a public host): 'blocked' drops at the ISP's customer port.
  if (!c.router && mode === 'blocked') nft(c.isp, firewallRules('blocked'));
  return mode === 'off' ? null : `${c.side}:${last - 1}::2`;
}

function addRendezvous(lab: Lab): void {
  // The same chain topology.ts builds: core → dc1 → … → rendezvous (empty when it is the core).
  const dcs = lab.ns.rendezvous === lab.ns.core ? [] : dcChain(lab);
  let up = lab.ns.core;
  ipv6Sysctls(up, true);
  dcs.forEach((down, i) => {
    const net = `${CORE6}:1${i + 1}`;
    ipv6Sysctls(down, true);
    addr6(up, `${net}::1/64`, 'todc');
    addr6(down, `${net}::2/64`, 'uplink');
    route6(up, `${RV_IP6}/128`, `${net}::2`);
    route6(down, 'default', `${net}::1`);
    up = down;
  });
  addr6(lab.ns.rendezvous, `${RV_IP6}/128`, 'lo');
}

function dcChain(lab: Lab): string[] {
  const m = /-dc(\d+)$/.exec(lab.ns.rendezvous);
  const depth = m ? Number(m[1]) : 0;
  return Array.from({ length: depth }, (_, i) => `${lab.prefix}-dc${i + 1}`);
}

const siteRouter = (nats: string[], prefix: string, tag: 'h' | 'c'): string | null =>
  nats.includes(`${prefix}-r${tag}`) ? `${prefix}-r${tag}` : null;

/** Adds IPv6 to every namespace of a lab built by `buildLab`. */
export function addIpv6(lab: Lab, modes: Ipv6Spec): LabIpv6 {
  addRendezvous(lab);
  const chain = (tag: 'h' | 'c'): SideChain => {
    const devices = tag === 'h' ? lab.ns.homeNats : lab.ns.clientNats;
    return {
      tag,
      side: tag === 'h' ? '2001:db8:1' : '2001:db8:2',
      coreLink: `${CORE6}:${tag === 'h' ? 1 : 2}`,
      isp: `${lab.prefix}-isp${tag}`,
      devices,
      host: tag === 'h' ? lab.ns.home : lab.ns.client,
      router: siteRouter(devices, lab.prefix, tag),
    };
  };
  const home = chain('h');
  const client = chain('c');
  return {
    modes: { ...modes },
    rendezvousIp6: RV_IP6,
    homeIp6: addSide(lab, home, modes.home),
    clientIp6: addSide(lab, client, modes.client),
    homeFirewall: home.router ?? (modes.home === 'blocked' ? home.isp : null),
    clientFirewall: client.router ?? (modes.client === 'blocked' ? client.isp : null),
  };
}

const DAD_WAIT_MS = 6_000;

/**
 * Waits (bounded) until no address of the lab is tentative. Link-local addresses go through
 * duplicate-address detection (~1-2 s after a link comes up); until then neighbour discovery
 * cannot run on that link and the first packets of a test vanish.
 */
export function waitForDad(lab: Lab): void {
  const mine = listNamespaces().filter((n) => n.startsWith(`${lab.prefix}-`));
  const sleep = new Int32Array(new SharedArrayBuffer(4));
  const until = Date.now() + DAD_WAIT_MS;
  for (;;) {
    const busy = mine.filter((ns) => inNs(ns, 'ip', ['-6', 'addr', 'show', 'tentative']).trim());
    if (busy.length === 0) return;
    if (Date.now() > until)
      throw new LabError(`IPv6 addresses still tentative after ${DAD_WAIT_MS} ms in ${busy[0]}`);
    Atomics.wait(sleep, 0, 0, 100);
  }
}

/** `buildLab` plus IPv6; the namespaces are removed again if adding IPv6 fails. */
export function buildLab6(spec: LabSpec, modes: Ipv6Spec): Lab6 {
  const lab = buildLab(spec);
  try {
    const v6 = addIpv6(lab, modes);
    waitForDad(lab);
    return { ...lab, v6 };
  } catch (e) {
    lab.teardown();
    throw e;
  }
}

/**
 * A namespace's addresses in `os.networkInterfaces()` shape (what the product's address selection
 * reads), from `ip -j addr`; and the kernel flags from its /proc/net/if_inet6.
 */
export function hostInterfaces(ns: string): {
  table: Record<string, Array<{ address: string; family: string; internal: boolean }>>;
  ifInet6: string;
} {
  const links = JSON.parse(inNs(ns, 'ip', ['-j', 'addr', 'show'])) as Array<{
    ifname: string;
    addr_info?: Array<{ family: string; local: string }>;
  }>;
  const table: Record<string, Array<{ address: string; family: string; internal: boolean }>> = {};
  for (const l of links) {
    table[l.ifname] = (l.addr_info ?? []).map((a) => ({
      address: a.local,
      family: a.family === 'inet6' ? 'IPv6' : 'IPv4',
      internal: l.ifname === 'lo',
    }));
  }
  return { table, ifInet6: inNs(ns, 'cat', ['/proc/net/if_inet6']) };
}

/** Packets the `ph6fw` table of `ns` has dropped so far (sum of its counters). */
export function firewallDrops(ns: string): number {
  const out = inNs(ns, 'nft', ['list', 'table', 'ip6', 'ph6fw']);
  return [...out.matchAll(/counter packets (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
}
