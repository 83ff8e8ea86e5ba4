// The punch's odds. The home opens N holes (ports of the client's IP), the client's symmetric
// NAT gives each of M sockets a uniformly random port from a pool of P; the punch works when at
// least one socket lands on an opened port: 1 - (1 - N/P)^M.

export function birthdayOdds(n: number, m: number, pool: number): number {
  if (pool <= 0) return 0;
  const p = Math.min(1, Math.max(0, n / pool));
  return 1 - Math.pow(1 - p, Math.max(0, m));
}

/**
 * The odds with `resprays` further sprays of N fresh ports after the client's M sockets have
 * mapped (each re-spray is a draw of N ports against M mapped ones: a miss is (1 - M/P)^N).
 * Treats the draws as independent, which overstates the miss by well under 1% of itself here.
 */
export function punchOdds(n: number, m: number, pool: number, resprays: number): number {
  if (pool <= 0) return 0;
  const miss = 1 - birthdayOdds(n, m, pool);
  const missAgain = 1 - birthdayOdds(m, n, pool);
  return 1 - miss * Math.pow(missAgain, Math.max(0, resprays));
}

/** Two-sided Wilson score interval for k successes in n trials at normal quantile z. */
export function wilsonInterval(k: number, n: number, z: number): { lo: number; hi: number } {
  if (n === 0) return { lo: 0, hi: 1 };
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}

/** z for a two-sided 99.9% interval. */
export const Z_999 = 3.2905;
