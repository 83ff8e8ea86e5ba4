// CLI start-up: `npm run bench:startup [RUNS]`. Side by side, the median (and min) wall time of
// RUNS runs each, interleaved so a busy machine weighs on every row alike:
// - `node -e 0`: the floor, Node itself;
// - `porthole --help` and `porthole client --help`: the command line's definitions only;
// - `porthole client status --state DIR` with no agent running: a real command up to the agent's
//   socket (it answers "no client agent running" and exits 1);
// - `porthole client set light.kitchen on --state DIR` through a running agent: a stand-in agent
//   in this process answers on the control socket, so the row is the command's own cost.
// The target (issue 21): `porthole --help` ≤ 2.5 × `node -e 0`.
import { countArg } from './cli-args.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentSocket } from '../src/cli/client-up-cmd.js';
import { ControlServer } from '../src/client/agent/control-server.js';
import type { EntityState } from '../src/devices/model.js';

const runs = countArg(
  0,
  15,
  'usage: npm run bench:startup [-- RUNS]   (default 15: runs per row, interleaved)',
);
const bin = fileURLToPath(new URL('../../bin/porthole.js', import.meta.url));
const none = mkdtempSync(join(tmpdir(), 'porthole-startup-'));
const state = mkdtempSync(join(tmpdir(), 'porthole-startup-agent-'));
const light: EntityState = {
  entity_id: 'light.kitchen',
  state: 'on',
  attributes: {},
  last_changed: new Date(0).toISOString(),
};
const agent = new ControlServer(agentSocket(state), {
  status: () => [],
  list: () => Promise.resolve([light]),
  get: () => Promise.resolve(light),
  call: () => Promise.resolve(light),
  watch: () => Promise.resolve(() => {}),
});
await agent.listen();

const rows: { label: string; args: string[]; code: number }[] = [
  { label: 'node -e 0', args: ['-e', '0'], code: 0 },
  { label: 'porthole --help', args: [bin, '--help'], code: 0 },
  { label: 'porthole client --help', args: [bin, 'client', '--help'], code: 0 },
  {
    label: 'porthole client status (no agent)',
    args: [bin, 'client', 'status', '--state', none],
    code: 1,
  },
  {
    label: 'porthole client set (via an agent)',
    args: [bin, 'client', 'set', 'light.kitchen', 'on', '--state', state],
    code: 0,
  },
];

/** Wall time of one run, ms (asynchronous: the stand-in agent answers from this process). */
function time(args: string[], code: number, label: string): Promise<number> {
  const t0 = performance.now();
  const p = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (b: Buffer) => (err += b.toString()));
  return new Promise((resolve, reject) =>
    p.on('exit', (status) => {
      const ms = performance.now() - t0;
      if (status === code) resolve(ms);
      else reject(new Error(`${label}: exit ${String(status)} (${err.trim()})`));
    }),
  );
}

const times = rows.map(() => [] as number[]);
for (let i = 0; i < runs; i++) {
  for (const [j, row] of rows.entries()) times[j]!.push(await time(row.args, row.code, row.label));
}
await agent.close();
for (const d of [none, state]) rmSync(d, { recursive: true, force: true });

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
