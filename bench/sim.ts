// Simulated trials per second: `npm run bench:sim`. Cone pair (ends at the first probe) and
// the birthday pair (500 sockets, 501 sprayed ports) side by side.
import { PATENT_PAIR_OPTIONS, runPair } from '../src/sim/matrix.js';

const trials = Number(process.argv[2] ?? 500);
for (const [home, client] of [
  ['port', 'port'],
  ['port', 'symmetric'],
] as const) {
  const t0 = performance.now();
  const s = runPair(home, client, { ...PATENT_PAIR_OPTIONS, trials });
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `${home} × ${client}: ${trials} trials in ${secs.toFixed(2)} s = ${(trials / secs).toFixed(0)} trials/s ` +
      `(success ${(s.success * 100).toFixed(1)}%, ${s.packets} packets and ${s.sockets} sockets per connect)`,
  );
}
