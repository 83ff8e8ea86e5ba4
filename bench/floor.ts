// Connect-time floor ratio per pair (issue 9): measured p50 ÷ (2·RTT to the rendezvous + 1·RTT
// to the peer) in the simulator with a fixed 40 ms RTT, for the patent's round and for the
// ladder with a cached client class. `node dist/bench/floor.js [TRIALS]`.
import { countArg } from './cli-args.js';
import type { PresetName } from '../src/net/virtual/presets.js';
import { PATENT_PAIR_OPTIONS, runPair } from '../src/sim/matrix.js';
import type { SimStrategy } from '../src/sim/trial.js';

const trials = countArg(
  0,
  50,
  'usage: node dist/bench/floor.js [TRIALS]   (default 50: simulated trials per pair)',
);
/** sim/trial.ts: each side is rttMs/4 one way from the core, where the rendezvous sits. */
const RTT = PATENT_PAIR_OPTIONS.rttMs;
const RV_RTT = RTT / 2;
const FLOOR = 2 * RV_RTT + RTT;
const PAIRS: Array<[PresetName, PresetName]> = [
  ['port', 'port'],
  ['cgnat-port', 'port'],
  ['symmetric', 'port'],
  ['symmetric', 'full'],
  ['port', 'symmetric'],
  ['port', 'symmetric-seq'],
];

function cell(home: PresetName, client: PresetName, strategy: SimStrategy): string {
  const s = runPair(home, client, { ...PATENT_PAIR_OPTIONS, trials, strategy });
  if (s.p50ms === null) return `${'-'.padStart(7)} ${'-'.padStart(6)} ${'0%'.padStart(6)}`;
  return [
    s.p50ms.toFixed(1).padStart(7),
    (s.p50ms / FLOOR).toFixed(2).padStart(6),
    `${Math.round(s.success * 100)}%`.padStart(6),
  ].join(' ');
}

console.log(
  `floor = 2·${RV_RTT} (rendezvous) + ${RTT} (peer) = ${FLOOR} ms; ${trials} trials per cell, one round`,
);
console.log(
  `${'home'.padEnd(12)} ${'client'.padEnd(14)} | patent p50  ratio   ok | cached-auto p50  ratio   ok`,
);
for (const [h, c] of PAIRS)
  console.log(
    `${h.padEnd(12)} ${c.padEnd(14)} | ${cell(h, c, 'patent')} | ${cell(h, c, 'auto-cached')}`,
  );
