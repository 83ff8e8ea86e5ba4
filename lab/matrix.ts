// Issue 9's lab matrix: every router kind pair, each connect with discovery and the strategy
// ladder, and (optionally) the same pair with discovery off on both sides, which is the patent
// round first (today's fallback). One row per (pair, mode); discovery's verdict per side is
// checked against the kind the lab built.
import type { LabPairResult } from './runner.js';
import { parseSite, type SiteSpec } from './topology.js';

export const MATRIX_SITES = [
  'none',
  'full',
  'restricted',
  'port',
  'symmetric',
  'cgnat-port',
  'cgnat-symmetric',
];

/** Every (home, client) pair of the lab's kinds, firewall on. */
export const MATRIX_PAIRS = MATRIX_SITES.flatMap((h) => MATRIX_SITES.map((c) => `${h}:${c}`));

/** The flags that turn discovery (and so the ladder) off on both sides: the patent round first. */
export const PATENT_ARGS = { home: ['--no-discovery'], client: ['--no-discovery'] };

/**
 * The class discovery should report for a lab site (natLabel's base, before any parenthesis).
 * No router: the host's own socket, open to anyone. The lab's CGNAT is endpoint-independent
 * with port-restricted filtering (conntrack only), so behind it the filtering is at least that.
 */
export function expectedLabel(site: SiteSpec): string {
  if (site.router === 'symmetric') return 'symmetric';
  if (site.cgnat) return 'port-restricted cone';
  return {
    none: 'full cone',
    full: 'full cone',
    restricted: 'restricted cone',
    port: 'port-restricted cone',
  }[site.router];
}

/** 'yes', 'NO', or '-' when discovery gave no verdict (off, or no connect reported it). */
export function agrees(label: string, site: string): string {
  if (label === 'unknown' || label === '-') return '-';
  const base = label.replace(/ \(.*$/, '');
  return base === expectedLabel(parseSite(site)) ? 'yes' : 'NO';
}

export const MATRIX_HEADER = [
  'home'.padEnd(15),
  'client'.padEnd(15),
  'mode'.padEnd(7),
  'ok'.padStart(5),
  'p50 ms'.padStart(7),
  ' path'.padEnd(9),
  'strategy'.padEnd(10),
  'homeNat (agrees)'.padEnd(38),
  'clientNat (agrees)'.padEnd(38),
  'disc'.padStart(5),
  'c pkts/socks'.padStart(13),
  'h wire pkts/socks'.padStart(18),
  'c wire pkts/socks'.padStart(18),
].join(' ');

export function matrixRow(r: LabPairResult, mode: 'ladder' | 'patent'): string {
  const n = (x: number | null | undefined): string =>
    x === null || x === undefined ? '-' : String(x);
  const ok = Math.round(r.success * r.trials);
  const nat = (label: string, site: string): string => `${label} (${agrees(label, site)})`;
  const pc = r.perConnect;
  return [
    r.home.padEnd(15),
    r.client.padEnd(15),
    mode.padEnd(7),
    `${ok}/${r.trials}`.padStart(5),
    (r.p50ms === null ? '-' : r.p50ms.toFixed(0)).padStart(7),
    ` ${r.path}`.padEnd(9),
    r.strategy.padEnd(10),
    nat(r.homeNat, r.home).padEnd(38),
    nat(r.clientNat, r.client).padEnd(38),
    n(pc.discoveryPackets).padStart(5),
    `${n(pc.clientPackets)}/${n(pc.clientSockets)}`.padStart(13),
    `${n(pc.wire?.home.packets)}/${n(pc.wire?.home.sockets)}`.padStart(18),
    `${n(pc.wire?.client.packets)}/${n(pc.wire?.client.sockets)}`.padStart(18),
  ].join(' ');
}
