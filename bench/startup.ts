// CLI start-up: `npm run bench:startup [RUNS]`. Side by side, the median (and min) wall time of
// RUNS runs each, interleaved so a busy machine weighs on every row alike:
// - `node -e 0`: the floor, Node itself;
// - `porthole --help` and `porthole client --help`: the command line's definitions only;
// - `porthole client status --state DIR` with no agent running: a real command up to the agent's
//   socket (it answers "no client agent running" and exits 1).
// The target (issue 21): `porthole --help` ≤ 2.5 × `node -e 0`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 15);
const bin = fileURLToPath(new URL('../../bin/porthole.js', import.meta.url));
const state = mkdtempSync(join(tmpdir(), 'porthole-startup-'));

const rows: { label: string; args: string[]; code: number }[] = [
  { label: 'node -e 0', args: ['-e', '0'], code: 0 },
  { label: 'porthole --help', args: [bin, '--help'], code: 0 },
  { label: 'porthole client --help', args: [bin, 'client', '--help'], code: 0 },
  {
    label: 'porthole client status (no agent)',
    args: [bin, 'client', 'status', '--state', state],
    code: 1,
  },
];

const times = rows.map(() => [] as number[]);
for (let i = 0; i < runs; i++) {
  rows.forEach((row, j) => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, row.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const ms = performance.now() - t0;
    if (r.status !== row.code)
      throw new Error(`${row.label}: exit ${String(r.status)} (${r.stderr.toString().trim()})`);
    times[j]!.push(ms);
  });
}
rmSync(state, { recursive: true, force: true });

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const floor = median(times[0]!);
console.log(`CLI start-up, ${runs} runs each (Node ${process.version}), median / min ms:`);
rows.forEach((row, j) => {
  const m = median(times[j]!);
  const min = Math.min(...times[j]!);
  console.log(
    `  ${row.label.padEnd(36)} ${m.toFixed(0).padStart(5)} / ${min.toFixed(0).padStart(4)}` +
      (j === 0 ? '' : `   ${(m / floor).toFixed(2)} × node -e 0`),
  );
});
