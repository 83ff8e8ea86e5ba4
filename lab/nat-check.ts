// Checks that a lab site really behaves like the NAT kind it is named after (RFC 4787 terms),
// with plain UDP sockets and no porthole code: mapping reuse across destinations, port
// preservation, filtering, whether an unsolicited packet leaves conntrack state that blocks that
// port, and whether a low-TTL packet opens a hole without reaching the far side.
import { inNs } from './netns.js';
import { buildLab, siteName, type Lab, type SiteSpec } from './topology.js';
import { UdpAgent, killUdpAgents } from './udp-agent.js';

export type Mapping = 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent';
export type Filtering = Mapping;

export interface NatCheckResult {
  site: string;
  firewall: boolean;
  mapping: Mapping;
  /** Sockets (of 4, on fixed local ports) whose public port equals their local port. */
  preserved: number;
  filtering: Filtering;
  /** An unsolicited packet to a public port left a conntrack entry on a NAT of the site. */
  unsolicitedLeavesState: boolean;
  /** …and a host socket on that port then got a different public port towards that sender
   * (null where ports are not preserved anyway, so it cannot be told). */
  unsolicitedBlocksPort: boolean | null;
  /** A packet with TTL = NATs + 1 died before the rendezvous host but opened a hole its reply
   * came through (null if its public port could not be read from conntrack). */
  lowTtlOpensHole: boolean | null;
  /**
   * The smallest TTL found by the echo search a home could run with a second rendezvous port
   * (port-dependent filtering only; null: not applicable or not found up to 6).
   */
  echoHoleTtl: number | null;
}

const A = '198.51.100.1'; // the rendezvous host
// Another core address, never contacted by the home: the lab rendezvous's second IP, which sits
// on the core when the rendezvous does (rvDepth 0, as here).
const C = '198.51.100.2';
const B = '192.0.2.2'; // the client host (public: the check builds the client side as `none`)

const portOf = (addr: string): number => Number(addr.split(':')[1]);
const ipOf = (addr: string): string => addr.split(':')[0] ?? '';

async function observed(agent: UdpAgent, id: string, tag: string): Promise<string> {
  const d = await agent.waitFor(id, tag, 2000);
  if (!d) throw new Error(`nat check: "${tag}" never arrived at ${id}; is the lab routed?`);
  return d.from;
}

function conntrackHas(lab: Lab, sender: string, dport: number): boolean {
  return lab.ns.nats.some((ns) => {
    try {
      const out = inNs(ns, 'conntrack', [
        '-L',
        '-p',
        'udp',
        '--orig-src',
        sender,
        '--orig-port-dst',
        String(dport),
      ]);
      return out.trim().length > 0;
    } catch {
      return false; // conntrack exits non-zero when nothing matches on some versions
    }
  });
}

/** The public port of the only flow towards dst:dport, from the outermost NAT's conntrack. */
function publicPortTowards(lab: Lab, dst: string, dport: number): number | null {
  const outer = lab.ns.nats[0];
  if (outer === undefined) return null;
  let out = '';
  try {
    out = inNs(outer, 'conntrack', [
      '-L',
      '-p',
      'udp',
      '--orig-dst',
      dst,
      '--orig-port-dst',
      String(dport),
    ]);
  } catch {
    return null;
  }
  // "… src=ORIG dst=… sport=… dport=5004 [UNREPLIED] src=DST dst=PUBLIC sport=5004 dport=PUBLICPORT"
  const ports = [...out.matchAll(/dport=(\d+)/g)].map((m) => Number(m[1]));
  return ports.length === 2 ? (ports[1] ?? null) : null;
}

export async function checkSite(site: SiteSpec, firewall: boolean): Promise<NatCheckResult> {
  const lab = buildLab({
    home: site,
    client: { router: 'none', cgnat: false },
    firewall,
    lossPct: 0,
  });
  const agents: UdpAgent[] = [];
  try {
    const h = UdpAgent.start(lab.ns.home);
    const core = UdpAgent.start(lab.ns.core);
    const b = UdpAgent.start(lab.ns.client);
    agents.push(h, core, b);
    await core.open('a1', 5001, A);
    await core.open('a2', 5002, A);
    await core.open('a3', 5003, A);
    await core.open('a4', 5004, A); // only the low-TTL packet goes here
    await core.open('a5', 5005, A); // the "second rendezvous port" of the echo TTL search
    await core.open('c1', 5001, C);
    await b.open('b1', 5001);

    // Mapping: one socket, three destinations.
    await h.open('s', 40000);
    await h.send('s', `${A}:5001`, 'm1');
    await h.send('s', `${A}:5002`, 'm2');
    await h.send('s', `${B}:5001`, 'm3');
    const m1 = await observed(core, 'a1', 'm1');
    const m2 = await observed(core, 'a2', 'm2');
    const m3 = await observed(b, 'b1', 'm3');
    const mapping: Mapping =
      m1 === m2 && m1 === m3
        ? 'endpoint-independent'
        : m1 === m2
          ? 'address-dependent'
          : 'address-and-port-dependent';

    // Filtering of that mapping: from a new port of a contacted address, and from a new address.
    await core.send('a3', m1, 'f-port');
    await core.send('c1', m1, 'f-addr');
    const fromNewAddr = (await h.waitFor('s', 'f-addr')) !== null;
    const fromNewPort = (await h.waitFor('s', 'f-port')) !== null;
    const filtering: Filtering = fromNewAddr
      ? 'endpoint-independent'
      : fromNewPort
        ? 'address-dependent'
        : 'address-and-port-dependent';

    // Allocation: four sockets on fixed local ports.
    let preserved = 0;
    for (let i = 1; i <= 4; i++) {
      await h.open(`p${i}`, 41000 + i);
      await h.send(`p${i}`, `${A}:5001`, `p${i}`);
      if (portOf(await observed(core, 'a1', `p${i}`)) === 41000 + i) preserved++;
    }
    const preserving = preserved === 4;

    // An unsolicited packet to public port X, then a host socket on X talks to that sender.
    const publicIp = ipOf(m1);
    await core.send('a1', `${publicIp}:42000`, 'u');
    await new Promise((r) => setTimeout(r, 100));
    const unsolicitedLeavesState = conntrackHas(lab, A, 42000);
    await h.open('x', 42000);
    await h.send('x', `${A}:5001`, 'x');
    const xPort = portOf(await observed(core, 'a1', 'x'));
    const unsolicitedBlocksPort = preserving ? xPort !== 42000 : null;

    // A low-TTL packet: passes the site's NATs, dies at the ISP router, yet opens the hole. Its
    // public port is read from the outermost NAT's conntrack table (a symmetric NAT picks it).
    const nats = (site.cgnat ? 1 : 0) + (site.router === 'none' ? 0 : 1);
    await h.open('y', 43000);
    await h.send('y', `${A}:5004`, 't', nats + 1);
    const arrived = (await core.waitFor('a4', 't', 300)) !== null;
    const yPort = nats === 0 ? 43000 : publicPortTowards(lab, A, 5004);
    let lowTtlOpensHole: boolean | null = null;
    if (yPort !== null) {
      await core.send('a4', `${publicIp}:${yPort}`, 't-back');
      lowTtlOpensHole = !arrived && (await h.waitFor('y', 't-back')) !== null;
    }

    // The smallest hole-opening TTL, found as a home could with a rendezvous second port: per t, a
    // fresh socket tells the rendezvous its mapping (full TTL), sends TTL t to the second port,
    // and the second port echoes to that mapping. Fresh sockets, because a failed echo leaves a
    // stray entry (no firewall) that would spoil the next t on the same mapping.
    let echoHoleTtl: number | null = null;
    if (filtering === 'address-and-port-dependent') {
      for (let t = 1; t <= 6 && echoHoleTtl === null; t++) {
        await h.open(`e${t}`, 44000 + t);
        await h.send(`e${t}`, `${A}:5001`, `e${t}-map`);
        const mapped = await observed(core, 'a1', `e${t}-map`);
        await h.send(`e${t}`, `${A}:5005`, `e${t}-probe`, t);
        await new Promise((r) => setTimeout(r, 50));
        await core.send('a5', mapped, `e${t}-echo`);
        if ((await h.waitFor(`e${t}`, `e${t}-echo`, 300)) !== null) echoHoleTtl = t;
      }
    }

    return {
      site: siteName(site),
      firewall,
      mapping,
      preserved,
      filtering,
      unsolicitedLeavesState,
      unsolicitedBlocksPort,
      lowTtlOpensHole,
      echoHoleTtl,
    };
  } finally {
    for (const a of agents) a.close();
    killUdpAgents();
    lab.teardown();
  }
}

export const NAT_CHECK_HEADER =
  'site              firewall  mapping     preserved  filtering   unsolicited→state  blocks port  low-TTL hole  echo TTL';

const short: Record<Mapping, string> = {
  'endpoint-independent': 'EI',
  'address-dependent': 'AD',
  'address-and-port-dependent': 'APD',
};
const yn = (x: boolean | null): string => (x === null ? 'n/a' : x ? 'yes' : 'no');

export function natCheckRow(r: NatCheckResult): string {
  return [
    r.site.padEnd(17),
    (r.firewall ? 'on' : 'off').padEnd(9),
    short[r.mapping].padEnd(11),
    `${r.preserved}/4`.padEnd(10),
    short[r.filtering].padEnd(11),
    yn(r.unsolicitedLeavesState).padEnd(18),
    yn(r.unsolicitedBlocksPort).padEnd(12),
    yn(r.lowTtlOpensHole).padEnd(13),
    r.echoHoleTtl === null ? '-' : String(r.echoHoleTtl),
  ].join(' ');
}
