// Which of this host's IPv6 addresses a peer could reach (issue 13, "IPv6 first"): global
// unicast only, never link-local, loopback, multicast, IPv4-mapped or the other special ranges.
//
// Input is `os.networkInterfaces()`-shaped and injected, so the choice is a pure function.
// What Node exposes: address, netmask, family ('IPv6', or 6 on Node 18.0–18.3), internal,
// cidr, scopeid — but NOT the kernel's address flags, so a deprecated (preferred lifetime over),
// temporary (RFC 8981 privacy), tentative (DAD running) or DAD-failed address looks like any
// other. On Linux those flags are in /proc/net/if_inet6; `parseIfInet6` reads that text, and
// passing its result as `flags` filters those addresses out. Without it nothing is filtered on
// flags (documented, not guessed).
//
// Documentation addresses (2001:db8::/32, RFC 3849) are refused unless `allowDocumentation`:
// the lab gives its namespaces 2001:db8::/32 addresses so that nothing it does can be confused
// with a real network, and only the lab sets the flag.
import { BlockList, isIPv6 } from 'node:net';
import { Reader, Writer } from '../wire/codec.js';

/** One entry of `os.networkInterfaces()[name]`, only the fields used (all may be hostile). */
export interface InterfaceAddress {
  readonly address: string;
  readonly family: string | number;
  readonly internal: boolean;
}

export type InterfaceTable = Readonly<Record<string, readonly InterfaceAddress[] | undefined>>;

/** Kernel address flags that matter here (from /proc/net/if_inet6, see `parseIfInet6`). */
export interface AddressFlags {
  readonly temporary: boolean;
  readonly deprecated: boolean;
  readonly tentative: boolean;
  readonly dadFailed: boolean;
}

export type Ipv6Scope = 'global' | 'ula';

export interface Ipv6Candidate {
  readonly ip: string;
  readonly iface: string;
  readonly scope: Ipv6Scope;
}

export interface SelectOptions {
  /**
   * The peer's IPv6 address, when known: ULA addresses (fc00::/7) are usable only when they
   * share the peer's /48 (same site); otherwise they cannot route between sites.
   */
  readonly peer?: string;
  /** Accept 2001:db8::/32 (the lab's namespaces only). */
  readonly allowDocumentation?: boolean;
  /** Flags by address (lower-case, as parsed by `parseIfInet6`); unknown addresses pass. */
  readonly flags?: ReadonlyMap<string, AddressFlags>;
  /** At most this many addresses (the codec's MAX_LOCALS is 4). Default 4. */
  readonly max?: number;
}

const subnets = (list: Array<[string, number]>): BlockList => {
  const b = new BlockList();
  for (const [net, len] of list) b.addSubnet(net, len, 'ipv6');
  return b;
};

/** Global unicast space (RFC 4291 2000::/3): excludes ::, ::1, ::ffff:0:0/96, fe80::/10, ff00::/8. */
const GLOBAL = subnets([['2000::', 3]]);
const ULA = subnets([['fc00::', 7]]);
const DOCUMENTATION = subnets([['2001:db8::', 32]]);
/** Inside 2000::/3 but not reachable through a stateful home firewall the way we knock. */
const SPECIAL = subnets([
  ['2001::', 32], // Teredo: a tunnel through IPv4 NAT, not a native path
  ['2001:2::', 48], // benchmarking (RFC 5180)
  ['2001:10::', 28], // ORCHID (deprecated)
  ['2001:20::', 28], // ORCHIDv2: identifiers, not locators
]);

const MAX_INPUT_ADDRESSES = 256;

function isV6Family(f: unknown): boolean {
  return f === 'IPv6' || f === 6;
}

function sameSlash48(a: string, b: string): boolean {
  if (!isIPv6(b) || b.includes('%')) return false;
  return subnets([[b, 48]]).check(a, 'ipv6');
}

/** Classifies one address, or null when it is not usable (see the file comment). */
export function classifyIpv6(ip: string, opts: SelectOptions = {}): Ipv6Scope | null {
  if (typeof ip !== 'string' || ip.length > 45 || ip.includes('%') || !isIPv6(ip)) return null;
  if (ULA.check(ip, 'ipv6')) {
    return opts.peer !== undefined && sameSlash48(ip, opts.peer) ? 'ula' : null;
  }
  if (!GLOBAL.check(ip, 'ipv6') || SPECIAL.check(ip, 'ipv6')) return null;
  if (DOCUMENTATION.check(ip, 'ipv6') && !opts.allowDocumentation) return null;
  return 'global';
}

function flagged(f: AddressFlags | undefined): boolean {
  return f !== undefined && (f.temporary || f.deprecated || f.tentative || f.dadFailed);
}

/**
 * This host's usable IPv6 addresses, in interface order, de-duplicated, at most `max`.
 * Never throws on odd input: a malformed entry is skipped.
 */
export function usableIpv6(table: InterfaceTable, opts: SelectOptions = {}): Ipv6Candidate[] {
  const max = Number.isFinite(opts.max) ? Math.max(0, Math.min(opts.max as number, 255)) : 4;
  const out: Ipv6Candidate[] = [];
  const seen = new Set<string>();
  let looked = 0;
  for (const [iface, list] of Object.entries(table ?? {})) {
    if (!Array.isArray(list)) continue;
    for (const a of list as unknown[]) {
      if (out.length >= max || ++looked > MAX_INPUT_ADDRESSES) return out;
      if (typeof a !== 'object' || a === null) continue;
      const { address, family, internal } = a as Partial<InterfaceAddress>;
      if (internal !== false || !isV6Family(family) || typeof address !== 'string') continue;
      const scope = classifyIpv6(address, opts);
      if (scope === null) continue;
      const ip = canonical(address);
      if (seen.has(ip) || flagged(opts.flags?.get(ip))) continue;
      seen.add(ip);
      out.push({ ip, iface, scope });
    }
  }
  return out;
}

/** Lower-case, compressed form (RFC 5952, as the codec decodes it), so equal addresses compare equal. */
export function canonical(ip: string): string {
  if (!isIPv6(ip) || ip.includes('%')) return ip.toLowerCase();
  const bytes = new Writer(19).addr({ ip, port: 0 }).finish();
  return new Reader(bytes).addr().ip;
}

// /proc/net/if_inet6 flag bits (linux/if_addr.h).
const IFA_F_TEMPORARY = 0x01;
const IFA_F_DADFAILED = 0x08;
const IFA_F_DEPRECATED = 0x20;
const IFA_F_TENTATIVE = 0x40;

/**
 * Parses /proc/net/if_inet6 ("<32 hex> <ifindex> <plen> <scope> <flags> <dev>" per line) into
 * flags by canonical address. Malformed lines are skipped; at most 1,024 lines are read.
 */
export function parseIfInet6(text: string): Map<string, AddressFlags> {
  const out = new Map<string, AddressFlags>();
  for (const line of text
    .slice(0, 1024 * 80)
    .split('\n')
    .slice(0, 1024)) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 6 || !/^[0-9a-f]{2,8}$/i.test(f[4] as string)) continue;
    const ip = hexToIpv6(f[0] as string);
    if (ip === null) continue;
    const bits = parseInt(f[4] as string, 16);
    out.set(ip, {
      temporary: (bits & IFA_F_TEMPORARY) !== 0,
      dadFailed: (bits & IFA_F_DADFAILED) !== 0,
      deprecated: (bits & IFA_F_DEPRECATED) !== 0,
      tentative: (bits & IFA_F_TENTATIVE) !== 0,
    });
  }
  return out;
}

/** 32 hex digits → compressed IPv6 text, through the codec's own address reader; or null. */
function hexToIpv6(hex: string): string | null {
  if (!/^[0-9a-f]{32}$/i.test(hex)) return null;
  const bytes = new Uint8Array(19);
  bytes[0] = 6; // the codec's family byte; the port (last two bytes) stays 0
  bytes.set(Buffer.from(hex, 'hex'), 1);
  return new Reader(bytes).addr().ip;
}
