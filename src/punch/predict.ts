// Port prediction (issue 9): a NAT that maps per destination but allocates its external ports
// sequentially gives the next mappings at observed + k·delta. The sprayer probes those ports
// first, then the birthday round's random ones (same total), so a prediction that misses (other
// traffic took the ports) costs nothing over the plain round.
import type { Random } from '../net/types.js';
import { pickSprayPorts, type PortRange } from './spray.js';

/**
 * The ports a birthday round sprays: with `delta` (a sequential allocator on that side) the next
 * ⌈n/2⌉ predicted ports first, then distinct random ones; without it the random ones alone.
 * `n` in all, never `observed` itself.
 */
export function sprayPortsFor(
  rng: Random,
  n: number,
  range: PortRange,
  observed: number,
  delta?: number,
): number[] {
  if (delta === undefined) return pickSprayPorts(rng, n, range, observed);
  const predicted = Math.ceil(n / 2);
  const step = delta !== 0 ? delta : 1;
  const first: number[] = [];
  const seen = new Set<number>([observed]);
  for (let k = 1; first.length < Math.min(predicted, n) && k <= predicted * 2; k++) {
    const p = observed + k * step;
    if (p < range.lo || p > range.hi) break;
    if (!seen.has(p)) first.push(p);
    seen.add(p);
  }
  const rest = pickSprayPorts(rng, n, range, observed).filter((p) => !seen.has(p));
  return [...first, ...rest].slice(0, n);
}
