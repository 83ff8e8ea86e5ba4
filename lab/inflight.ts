// Commands in flight when the path dies (issue 21 item 6) on real kernel NAT: a port-restricted
// home and a symmetric client (routers firewalled), the client agent up with a watch through it,
// one `client set light.kitchen toggle` per second (through the agent's control socket, as the
// CLI sends it, so node's start-up does not blur the times). After a few commands the client's router
// flushes its conntrack table right as the next command goes out: the punched path is dead (the
// client's next packets leave from a fresh random port, which the home's router drops). Every
// command must be applied exactly once (each answer is the next state; the watch shows each
// change once) and none may fail; each command's wall time (node start-up included) is kept.
import { setTimeout as sleep } from 'node:timers/promises';
import { agentSocket } from '../src/cli/client-up-cmd.js';
import { ControlClient } from '../src/client/agent/control-client.js';
import { inNs } from './netns.js';
import { pairInLab, spawnWatch, type WatchLine } from './paired.js';
import { killLabProcesses, runClient, start } from './runner.js';
import { buildLab, parseSite } from './topology.js';

export interface InflightResult {
  commands: number;
  /** Commands whose answer was the next state: applied exactly once. */
  appliedOnce: number;
  /** Commands that ended without a state (their error texts). */
  failed: string[];
  /** States answered, in order. */
  answers: string[];
  /** Kitchen changes the watch showed (pushes, not resync prints). */
  pushes: number;
  /** Each command's time through the agent (ms), and the one's sent as the path died. */
  ms: number[];
  flushedMs: number;
  /** Paths the agent reported, in order (e.g. punched → relayed → punched). */
  paths: string[];
  finalState: string;
}

const parse = (l: WatchLine): Record<string, unknown> => {
  try {
    return JSON.parse(l.line) as Record<string, unknown>;
  } catch {
    return {};
  }
};

export async function runInflightLab(commands = 50, flushAt = 5): Promise<InflightResult> {
  const lab = buildLab({
    home: parseSite('port'),
    client: parseSite('symmetric'),
    firewall: true,
    lossPct: 0,
  });
  let watch: ReturnType<typeof spawnWatch> | undefined;
  try {
    const p = await pairInLab(lab, 'inflight');
    await start(lab.ns.client, ['client', 'up', '--state', p.phoneDir], 'control socket');
    watch = spawnWatch(lab, p.base);
    const w = watch;
    const events = (): Record<string, unknown>[] => w.lines.map(parse);
    const end = Date.now() + 20_000;
    while (!events().some((e) => e.event === 'path' && e.state === 'up') && Date.now() < end)
      await sleep(50);
    await sleep(500); // the watch subscribes
    const router = lab.ns.clientNats.at(-1) as string;
    // One `client set` as a user types it, then the same command straight on the agent's control
    // socket (a path in the state dir, reachable from outside the namespace): what `client set`
    // sends, timed without node's start-up (issue 21 item 7 is that part).
    const first = parse({
      at: 0,
      line: await runClient(lab.ns.client, ['client', 'set', 'light.kitchen', 'off', ...p.base]),
    });
    if (first.state !== 'off') throw new Error(`client set failed: ${JSON.stringify(first)}`);
    await sleep(300);
    const control = await ControlClient.connect(agentSocket(p.phoneDir));
    const printedBefore = w.lines.length;

    const answers: string[] = [];
    const failed: string[] = [];
    const ms: number[] = [];
    let flushedMs = -1;
    const t0 = Date.now();
    for (let i = 0; i < commands; i++) {
      const wait = t0 + i * 1000 - Date.now();
      if (wait > 0) await sleep(wait);
      if (i === flushAt) {
        try {
          inNs(router, 'conntrack', ['-F']);
        } catch {
          // an empty table makes conntrack exit non-zero on some versions
        }
      }
      const began = Date.now();
      try {
        const st = await control.call(undefined, 'light.kitchen', { service: 'toggle' });
        answers.push(st.state);
      } catch (e) {
        failed.push((e as Error).message.slice(0, 200));
      }
      ms.push(Date.now() - began);
      if (i === flushAt) flushedMs = Date.now() - began;
    }
    control.close();
    await sleep(1500);
    const final = parse({
      at: 0,
      line: await runClient(lab.ns.client, ['client', 'get', 'light.kitchen', ...p.base]),
    });
    const all = events();
    // What the watch printed once the counted commands began (a resync prints every device).
    const counted = all.slice(printedBefore);
    const kitchen = counted.filter((e) => e.entity_id === 'light.kitchen').length;
    const resyncs = counted.filter((e) => e.entity_id === 'light.bedroom').length;
    // The first answer decides the phase; each later one must be the other state.
    let appliedOnce = 0;
    answers.forEach((s, i) => {
      if (i === 0 || s !== answers[i - 1]) appliedOnce++;
    });
    return {
      commands,
      appliedOnce,
      failed,
      answers,
      pushes: kitchen - resyncs,
      ms,
      flushedMs,
      paths: all
        .filter((e) => e.event === 'path' && typeof e.path === 'string')
        .map((e) => String(e.path)),
      finalState: String(final.state),
    };
  } finally {
    watch?.proc.kill('SIGKILL');
    killLabProcesses();
    lab.teardown();
  }
}
