// NAT rebinding in the real-NAT lab: a paired home (behind an address-restricted router) and a
// client (behind `masquerade random`), a `client watch` running, and the client router's
// conntrack flushed mid-session, so the watch's next packet leaves from a new public port. The
// home must follow it there (an authenticated Noise frame from the new address), and every
// command before and after must show up in the watch exactly once.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inNs } from './netns.js';
import { BIN, killLabProcesses, runClient, start } from './runner.js';
import { buildLab, parseSite } from './topology.js';

export interface RebindResult {
  /** Kitchen states the watch printed, in order. */
  kitchen: string[];
  /** What the six `client set` commands answered. */
  sets: string[];
  /** Watch lines that arrived after the flush. */
  afterFlush: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const STATES = ['on', 'off', 'on', 'off', 'on', 'off'];
/** The watch's device keepalive is 10 s: the roam happens at its next one at the latest. */
const ROAM_WAIT_MS = 11_000;

export async function runRebindLab(): Promise<RebindResult> {
  const lab = buildLab({
    home: parseSite('restricted'),
    client: parseSite('symmetric'),
    firewall: true,
    lossPct: 0,
  });
  const dir = mkdtempSync(join(tmpdir(), 'porthole-rebind-lab-'));
  const [homeDir, phoneDir] = [join(dir, 'home'), join(dir, 'phone')];
  let watch: ReturnType<typeof spawn> | undefined;
  try {
    const rv = `${lab.rendezvousIp}:7400`;
    const init = JSON.parse(
      await runClient(lab.ns.home, ['home', 'init', '--state', homeDir, '--json']),
    ) as {
      homeId: string;
    };
    await runClient(lab.ns.client, ['client', 'init', '--state', phoneDir]);
    await start(lab.ns.rendezvous, ['rendezvous', '--listen', rv], 'rendezvous listening');
    await start(
      lab.ns.home,
      [
        'home',
        '--state',
        homeDir,
        '--rendezvous',
        rv,
        '--listen',
        '0.0.0.0:7401',
        '--keepalive',
        '1000',
      ],
      'registered with rendezvous',
    );
    const code = (
      JSON.parse(await runClient(lab.ns.home, ['home', 'pair', '--state', homeDir, '--json'])) as {
        code: string;
      }
    ).code;
    const paired = await runClient(lab.ns.client, [
      'client',
      'pair',
      code,
      '--state',
      phoneDir,
      '--json',
    ]);
    if (!paired.includes(init.homeId)) throw new Error(`pairing failed: ${paired}`);
    const base = ['--state', phoneDir, '--home', init.homeId, '--json'];

    const lines: string[] = [];
    let flushedAt = Infinity;
    let afterFlush = 0;
    watch = spawn(
      'ip',
      ['netns', 'exec', lab.ns.client, process.execPath, BIN, 'client', 'watch', ...base],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    let buf = '';
    watch.stdout?.on('data', (b: Buffer) => {
      buf += b.toString();
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      for (const l of parts) {
        lines.push(l);
        if (Date.now() > flushedAt) afterFlush++;
      }
    });
    await sleep(4000); // the watch connects and subscribes
    const sets: string[] = [];
    const set = async (state: string): Promise<void> => {
      const out = await runClient(lab.ns.client, [
        'client',
        'set',
        'light.kitchen',
        state,
        ...base,
      ]);
      sets.push(out);
      await sleep(300);
    };
    for (const s of STATES.slice(0, 3)) await set(s);
    flushedAt = Date.now();
    for (const ns of lab.ns.clientNats) inNs(ns, 'conntrack', ['-F']);
    await sleep(ROAM_WAIT_MS);
    for (const s of STATES.slice(3)) await set(s);
    await sleep(1500);
    const kitchen = lines
      .map((l) => JSON.parse(l) as { entity_id?: string; state?: string })
      .filter((s) => s.entity_id === 'light.kitchen')
      .map((s) => String(s.state));
    return { kitchen, sets, afterFlush };
  } finally {
    watch?.kill('SIGKILL');
    killLabProcesses();
    lab.teardown();
  }
}
