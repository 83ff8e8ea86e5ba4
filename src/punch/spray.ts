// Which ports of the client's IP the home sprays (patent step 3).
import type { Random } from '../net/types.js';

export interface PortRange {
  readonly lo: number;
  readonly hi: number; // inclusive
}

/** The range NATs allocate from in practice (Linux masquerade: 1024-65535). */
export const DEFAULT_PORT_RANGE: PortRange = { lo: 1024, hi: 65535 };

export function poolSize(r: PortRange): number {
  return r.hi - r.lo + 1;
}

/**
 * `n` distinct ports drawn uniformly from `range`, never `exclude` (the client's observed port,
 * which gets its own packet first). Capped at the pool size.
 */
export function pickSprayPorts(
  rng: Random,
  n: number,
  range: PortRange,
  exclude: number,
): number[] {
  const pool = poolSize(range) - (exclude >= range.lo && exclude <= range.hi ? 1 : 0);
  const want = Math.max(0, Math.min(n, pool));
  const chosen = new Set<number>();
  const out: number[] = [];
  // Rejection sampling is fine while want << pool; fall back to a partial shuffle otherwise.
  if (want * 2 <= pool) {
    while (out.length < want) {
      const p = range.lo + rng.int(poolSize(range));
      if (p === exclude || chosen.has(p)) continue;
      chosen.add(p);
      out.push(p);
    }
    return out;
  }
  const all: number[] = [];
  for (let p = range.lo; p <= range.hi; p++) if (p !== exclude) all.push(p);
  for (let i = 0; i < want; i++) {
    const j = i + rng.int(all.length - i);
    const t = all[i] as number;
    all[i] = all[j] as number;
    all[j] = t;
  }
  return all.slice(0, want);
}
