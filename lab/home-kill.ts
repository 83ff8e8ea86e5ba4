// A home that crashes (SIGKILL) under the client agent (issue 21): how long until the agent's
// status, its watch and a command say the home is unreachable, on real kernel NAT (a
// port-restricted home, a symmetric client, routers firewalled; the agent's session punched, or
// relayed with `relay: 'only'`). Then the home starts again and the agent must come back by
// itself. Every status change is kept with its time after the kill.
import { setTimeout as sleep } from 'node:timers/promises';
import { agentSocket } from '../src/cli/client-up-cmd.js';
import { ControlClient } from '../src/client/agent/control-client.js';
import type { HomeStatus } from '../src/client/agent/control-wire.js';
import { pairInLab, spawnWatch } from './paired.js';
import { killLabProcesses, start } from './runner.js';
import { buildLab, parseSite } from './topology.js';

export interface HomeKillResult {
  path: string;
  /** ms after the SIGKILL: the first status that is not 'up', and what it said. */
  downMs: number;
  downError: string;
  /** ms after the SIGKILL until the watch printed a path event that is not 'up'. */
  watchMs: number;
  /** The command sent 1 s after the kill: its outcome and time (ms). */
  command: { ms: number; outcome: string };
  /** The states seen, with ms after the kill. */
  states: string[];
  /** ms from the home's restart until the agent is up again, and a command then. */
  backMs: number;
  after: string;
}

export async function runHomeKillLab(relayOnly = false, boundMs = 40_000): Promise<HomeKillResult> {
  const lab = buildLab({
    home: parseSite('port'),
    client: parseSite('symmetric'),
    firewall: true,
    lossPct: 0,
  });
  let control: ControlClient | undefined;
  let watch: ReturnType<typeof spawnWatch> | undefined;
  try {
    const p = await pairInLab(lab, 'homekill');
    await start(
      lab.ns.client,
      ['client', 'up', '--state', p.phoneDir, ...(relayOnly ? ['--relay', 'only'] : [])],
      'control socket',
    );
    control = await ControlClient.connect(agentSocket(p.phoneDir));
    const c = control;
    const status = async (): Promise<HomeStatus | undefined> => (await c.status())[0];
    let s = await status();
    for (let end = Date.now() + 30_000; s?.state !== 'up' && Date.now() < end; s = await status())
      await sleep(100);
    if (s?.state !== 'up') throw new Error(`the agent is not up: ${JSON.stringify(s)}`);
    await c.call(undefined, 'light.kitchen', { service: 'toggle' });
    watch = spawnWatch(lab, p.base);
    const w = watch;
    await sleep(2500); // the watch subscribes; the path settles
    const path = `${(await status())?.path} ${(await status())?.remote}`;
    const printed = w.lines.length;
    p.procs.home.kill('SIGKILL');
    const t0 = Date.now();
    const states: string[] = [];
    let downMs = -1;
    let downError = '';
    const command = { ms: -1, outcome: '' };
    void sleep(1000).then(async () => {
      const began = Date.now();
      try {
        command.outcome = `applied: ${(await c.call(undefined, 'light.kitchen', { service: 'toggle' })).state}`;
      } catch (e) {
        command.outcome = (e as Error).message.slice(0, 200);
      }
      command.ms = Date.now() - began;
    });
    let last = '';
    while (Date.now() - t0 < boundMs && (downMs < 0 || command.ms < 0)) {
      const st = await status();
      const now = `${st?.state}${st?.lastError ? `: ${st.lastError.slice(0, 120)}` : ''}`;
      if (now !== last) states.push(`${Date.now() - t0} ms ${now}`);
      last = now;
      if (downMs < 0 && st?.state !== 'up') {
        downMs = Date.now() - t0;
        downError = st?.lastError ?? '';
      }
      await sleep(50);
    }
    const watchLine = w.lines
      .slice(printed)
      .find((l) => /"event":"path"/.test(l.line) && !/"state":"up"/.test(l.line));
    const watchMs = watchLine ? watchLine.at - t0 : -1;
    // The home again (same state dir): the agent must come back by itself.
    const t1 = Date.now();
    await start(
      lab.ns.home,
      [
        'home',
        '--state',
        p.homeDir,
        '--rendezvous',
        p.rv,
        '--listen',
        '0.0.0.0:7401',
        '--keepalive',
        '1000',
      ],
      'registered with rendezvous',
    );
    let back = await status();
    for (
      let end = Date.now() + 40_000;
      back?.state !== 'up' && Date.now() < end;
      back = await status()
    )
      await sleep(100);
    const backMs = Date.now() - t1;
    let after = '';
    try {
      after = `applied: ${(await c.call(undefined, 'light.kitchen', { service: 'toggle' })).state}`;
    } catch (e) {
      after = (e as Error).message.slice(0, 200);
    }
    return { path, downMs, downError, watchMs, command, states, backMs, after };
  } finally {
    control?.close();
    watch?.proc.kill('SIGKILL');
    killLabProcesses();
    lab.teardown();
  }
}

if (process.argv[1]?.endsWith('home-kill.js')) {
  for (const relayOnly of [false, true])
    console.log(JSON.stringify(await runHomeKillLab(relayOnly, 60_000)));
}
