// Runs many seeded trials per NAT pair and summarises them.
import { percentile } from './stats.js';
import { poolSize, DEFAULT_PORT_RANGE } from '../punch/spray.js';
import type { PresetName } from '../net/virtual/presets.js';
import { theory } from './theory.js';
import { runTrial, type TrialOptions } from './trial.js';

export interface PairOptions extends Omit<TrialOptions, 'home' | 'client' | 'seed'> {
  trials: number;
  seed: number;
  spray: number;
  sockets: number;
}

/**
 * The patent's setting: N = M = 500, one round, a single spray (no re-spray), 40 ms RTT, no loss,
 * firewalls on, seed 1.
 */
export const PATENT_PAIR_OPTIONS: PairOptions = {
  trials: 2000,
  seed: 1,
  rttMs: 40,
  lossPct: 0,
  jitterMs: 0,
  firewall: true,
  spray: 500,
  sockets: 500,
  homeConfig: { respray: 'off' },
  clientConfig: { rounds: 1 },
};

export interface PairSummary {
  home: PresetName;
  client: PresetName;
  trials: number;
  success: number;
  theory: number;
  p50ms: number | null;
  p95ms: number | null;
  /** Datagrams per connect, client and home together. */
  packets: number;
  sockets: number;
  attempts: number;
  firewall: boolean;
  seed: number;
}

const round = (x: number, d: number): number => Math.round(x * 10 ** d) / 10 ** d;

/** Seed of trial i of a pair: independent of which other pairs run, so results reproduce. */
export function trialSeed(base: number, home: string, client: string, i: number): number {
  let h = base >>> 0;
  for (const ch of `${home}|${client}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return (h + Math.imul(i, 0x9e3779b1)) >>> 0;
}

export function runPair(
  home: PresetName,
  client: PresetName,
  o: PairOptions,
  onTrial: () => void = () => {},
): PairSummary {
  const ms: number[] = [];
  let ok = 0;
  let packets = 0;
  let sockets = 0;
  let attempts = 0;
  for (let i = 0; i < o.trials; i++) {
    const r = runTrial({
      ...o,
      home,
      client,
      seed: trialSeed(o.seed, home, client, i),
      homeConfig: { spray: o.spray, ...o.homeConfig },
      clientConfig: { sockets: o.sockets, ...o.clientConfig },
    });
    if (r.ok) {
      ok++;
      ms.push(r.ms);
    }
    packets += r.report.packetsSent + r.homePackets;
    sockets += r.report.socketsOpened;
    attempts += r.report.attempts;
    onTrial();
  }
  const n = Math.max(1, o.trials);
  // The home re-sprays once unless told not to (HomeConfig.respray defaults to 'auto').
  const resprays = o.homeConfig?.respray === 'off' ? 0 : 1;
  return {
    home,
    client,
    trials: o.trials,
    success: round(ok / n, 4),
    theory: round(
      theory(home, client, o.spray, o.sockets, poolSize(DEFAULT_PORT_RANGE), resprays),
      4,
    ),
    p50ms: ms.length ? round(percentile(ms, 50), 1) : null,
    p95ms: ms.length ? round(percentile(ms, 95), 1) : null,
    packets: Math.round(packets / n),
    sockets: Math.round(sockets / n),
    attempts: round(attempts / n, 2),
    firewall: o.firewall,
    seed: o.seed,
  };
}
