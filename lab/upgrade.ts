// Relayed → punched upgrade on real kernel NAT (issue 10): a port-restricted home and a symmetric
// client (a pair the patent's round punches), a `client watch --relay-first` that starts relayed
// and must move onto the punched path by itself while `client set` commands run; every state
// change must reach the watch exactly once, in order. Prints the time from the relayed channel
// being up to the move (the path event's afterMs).
import { setTimeout as sleep } from 'node:timers/promises';
import { pairInLab, spawnWatch, type WatchLine } from './paired.js';
import { killLabProcesses, runClient } from './runner.js';
import { buildLab, parseSite } from './topology.js';

export interface UpgradeTrial {
  /** ms from the relayed channel being up to the move (the path event's afterMs). */
  upgradeMs: number | undefined;
  /** ms from starting the watch process (node start-up included) to the move. */
  fromSpawnMs: number | undefined;
  path: string | undefined;
  /** Kitchen states the watch printed after its first line, in order, and what was set. */
  seen: string[];
  set: string[];
}

const STATES = ['on', 'off', 'on', 'off', 'on', 'off'];

interface Line {
  event?: string;
  afterMs?: number;
  path?: string;
  entity_id?: string;
  state?: string;
}

function parse(l: WatchLine): Line {
  try {
    return JSON.parse(l.line) as Line;
  } catch {
    return {};
  }
}

async function untilLine(lines: WatchLine[], ms: number): Promise<WatchLine | undefined> {
  const end = Date.now() + ms;
  while (lines.length === 0 && Date.now() < end) await sleep(20);
  return lines[0];
}

export async function runUpgradeLab(trials = 3): Promise<UpgradeTrial[]> {
  const lab = buildLab({
    home: parseSite('port'),
    client: parseSite('symmetric'),
    firewall: true,
    lossPct: 0,
  });
  const out: UpgradeTrial[] = [];
  try {
    const { base } = await pairInLab(lab, 'upgrade');
    for (let i = 0; i < trials; i++) {
      const spawned = Date.now();
      const watch = spawnWatch(lab, [...base, '--relay-first']);
      try {
        const first = await untilLine(watch.lines, 15_000);
        if (!first) throw new Error('the watch printed nothing in 15 s');
        const set: string[] = [];
        // Start from the opposite of the current state so every set is a change.
        for (const s of i % 2 === 0 ? STATES : STATES.map((x) => (x === 'on' ? 'off' : 'on'))) {
          await runClient(lab.ns.client, ['client', 'set', 'light.kitchen', s, ...base]);
          set.push(s);
          await sleep(200);
        }
        await sleep(1500);
        const moved = watch.lines.find((l) => parse(l).event === 'path');
        const seen = watch.lines
          .filter((l) => l !== first)
          .map(parse)
          .filter((s) => s.entity_id === 'light.kitchen' && s.state !== undefined)
          .map((s) => String(s.state));
        out.push({
          upgradeMs: moved ? parse(moved).afterMs : undefined,
          fromSpawnMs: moved ? moved.at - spawned : undefined,
          path: moved ? parse(moved).path : undefined,
          seen,
          set,
        });
      } finally {
        watch.proc.kill('SIGKILL');
      }
    }
    return out;
  } finally {
    killLabProcesses();
    lab.teardown();
  }
}
