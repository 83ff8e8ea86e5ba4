// A paired home and client in the real-NAT lab, with the rendezvous running, and a live
// `client watch` whose output lines are kept with their arrival times. Shared by the rebinding
// and address-change labs.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, runClient, start } from './runner.js';
import type { Lab } from './topology.js';

export interface PairedLab {
  rv: string;
  homeId: string;
  phoneDir: string;
  /** `--state … --home … --json` for the client commands. */
  base: string[];
}

/** Starts the rendezvous and a home (1 s keepalive), pairs a client. */
export async function pairInLab(
  lab: Lab,
  tag: string,
  /** Runs after the home registered, before the client pairs (e.g. block the client's UDP). */
  beforePair?: () => void,
  /** More flags for the rendezvous (e.g. its TCP/WS relay fronts). */
  rendezvousArgs: string[] = [],
): Promise<
  PairedLab & {
    pairMs: number;
    homeDir: string;
    procs: { rendezvous: ChildProcess; home: ChildProcess };
  }
> {
  const dir = mkdtempSync(join(tmpdir(), `porthole-${tag}-lab-`));
  const [homeDir, phoneDir] = [join(dir, 'home'), join(dir, 'phone')];
  const rv = `${lab.rendezvousIp}:7400`;
  const init = JSON.parse(
    await runClient(lab.ns.home, ['home', 'init', '--state', homeDir, '--json']),
  ) as { homeId: string };
  await runClient(lab.ns.client, ['client', 'init', '--state', phoneDir]);
  const rendezvous = await start(
    lab.ns.rendezvous,
    ['rendezvous', '--listen', rv, ...rendezvousArgs],
    'rendezvous listening',
  );
  const home = await start(
    lab.ns.home,
    ['home', '--state', homeDir, '--rendezvous', rv, '--listen', '0.0.0.0:7401'].concat([
      '--keepalive',
      '1000',
    ]),
    'registered with rendezvous',
  );
  const code = (
    JSON.parse(await runClient(lab.ns.home, ['home', 'pair', '--state', homeDir, '--json'])) as {
      code: string;
    }
  ).code;
  beforePair?.();
  const t0 = Date.now();
  const paired = await runClient(lab.ns.client, [
    'client',
    'pair',
    code,
    '--state',
    phoneDir,
    '--json',
  ]);
  const pairMs = Date.now() - t0; // process start included
  if (!paired.includes(init.homeId)) throw new Error(`pairing failed: ${paired}`);
  return {
    pairMs,
    homeDir,
    procs: { rendezvous, home },
    rv,
    homeId: init.homeId,
    phoneDir,
    base: ['--state', phoneDir, '--home', init.homeId, '--json'],
  };
}

export interface WatchLine {
  at: number;
  line: string;
}

/** `porthole client watch …args` in the client's namespace; every stdout line lands in `lines`. */
export function spawnWatch(lab: Lab, args: string[]): { proc: ChildProcess; lines: WatchLine[] } {
  const lines: WatchLine[] = [];
  const proc = spawn(
    'ip',
    ['netns', 'exec', lab.ns.client, process.execPath, BIN, 'client', 'watch', ...args],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let buf = '';
  proc.stdout?.on('data', (b: Buffer) => {
    buf += b.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    for (const line of parts) lines.push({ at: Date.now(), line });
  });
  return { proc, lines };
}
