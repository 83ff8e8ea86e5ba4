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

/**
 * A row's mode. 'ladder': the defaults, measured warm (the client's NAT class cache starts empty
 * for the pair; one uncounted connect fills it, its time is '1st ms'); 'cold': the client never caches
 * (--no-nat-cache: every connect classifies beside its first round); 'patent': discovery off on
 * both sides, the patent round first (the behaviour before issue 9).
 */
export type MatrixMode = 'ladder' | 'cold' | 'patent';

export const MODE_ARGS: Record<MatrixMode, { home: string[]; client: string[] }> = {
  ladder: { home: [], client: [] },
  cold: { home: [], client: ['--no-nat-cache'] },
  patent: { home: ['--no-discovery'], client: ['--no-discovery'] },
};

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
  'p95 ms'.padStart(7),
  '1st ms'.padStart(7),
  '<300'.padStart(5),
  ' path'.padEnd(9),
  'strategy'.padEnd(10),
  'homeNat (agrees)'.padEnd(38),
  'clientNat (agrees)'.padEnd(38),
  'disc'.padStart(5),
  'c pkts/socks'.padStart(13),
  'h wire pkts/socks'.padStart(18),
  'c wire pkts/socks'.padStart(18),
].join(' ');

export function matrixRow(r: LabPairResult, mode: MatrixMode): string {
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
    (r.p95ms === null ? '-' : r.p95ms.toFixed(0)).padStart(7),
    n(r.firstMs).padStart(7),
    `${Math.round(r.under300 * 100)}%`.padStart(5),
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

const isCone = (site: string): boolean => expectedLabel(parseSite(site)) !== 'symmetric';

/**
 * Issue 9's targets, checked against the rows (ladder and cold modes): one line each, with the
 * rows that fail it. Packets per side: the home's as counted on its host, the client's own report
 * (rendezvous included) plus its STUN.
 */
export function matrixTargets(
  rows: ReadonlyArray<{ mode: MatrixMode; r: LabPairResult }>,
): string[] {
  const ours = rows.filter((x) => x.mode !== 'patent');
  const name = (x: { mode: MatrixMode; r: LabPairResult }): string =>
    `${x.r.home}×${x.r.client} (${x.mode})`;
  const check = (
    title: string,
    pick: (r: LabPairResult) => boolean,
    ok: (r: LabPairResult) => boolean,
  ): string => {
    const picked = ours.filter((x) => pick(x.r));
    if (!picked.length) return `- ${title}: no row measured`;
    const bad = picked.filter((x) => !ok(x.r)).map(name);
    return `- ${title}: ${bad.length ? `NOT met by ${bad.join(', ')}` : 'met'} (${picked.length} rows)`;
  };
  const pc = (r: LabPairResult) => r.perConnect;
  return [
    'targets (issue 9):',
    check(
      'cone pairs: ≤ 20 packets per side, 1 socket, no spray',
      (r) => isCone(r.home) && isCone(r.client),
      (r) =>
        (pc(r).wire?.home.packets ?? Infinity) <= 20 &&
        (pc(r).wire?.home.sockets ?? Infinity) <= 1 &&
        (pc(r).clientPackets ?? Infinity) + (pc(r).discoveryPackets ?? 0) <= 20 &&
        (pc(r).clientSockets ?? Infinity) <= 1,
    ),
    check(
      'symmetric home × cone client: ≥ 98% in under 300 ms',
      (r) => !isCone(r.home) && isCone(r.client),
      (r) => r.under300 >= 0.98,
    ),
    check(
      'port-restricted × symmetric: 100%',
      (r) => /port$/.test(r.home) && !isCone(r.client),
      (r) => r.success === 1,
    ),
    check(
      "discovery's verdicts agree with the lab's kinds",
      () => true,
      (r) => agrees(r.homeNat, r.home) !== 'NO' && agrees(r.clientNat, r.client) !== 'NO',
    ),
  ];
}
