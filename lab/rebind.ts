// NAT rebinding in the real-NAT lab: a paired home (behind an address-restricted router) and a
// client (behind `masquerade random`), a `client watch` running, and the client router's
// conntrack flushed mid-session, so the watch's next packet leaves from a new public port. The
// home must follow it there (an authenticated Noise frame from the new address), and every
// command before and after must show up in the watch exactly once.
import { setTimeout as sleep } from 'node:timers/promises';
import { inNs } from './netns.js';
import { pairInLab, spawnWatch } from './paired.js';
import { killLabProcesses, runClient } from './runner.js';
import { buildLab, parseSite } from './topology.js';

export interface RebindResult {
  /** Kitchen states the watch printed, in order. */
  kitchen: string[];
  /** What the six `client set` commands answered. */
  sets: string[];
  /** Watch lines that arrived after the flush. */
  afterFlush: number;
}

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
  let watch: ReturnType<typeof spawnWatch> | undefined;
  try {
    const { base } = await pairInLab(lab, 'rebind');
    let flushedAt = Infinity;
    watch = spawnWatch(lab, base);
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
    const afterFlush = watch.lines.filter((l) => l.at > flushedAt).length;
    const kitchen = watch.lines
      .map((l) => JSON.parse(l.line) as { entity_id?: string; state?: string })
      .filter((s) => s.entity_id === 'light.kitchen')
      .map((s) => String(s.state));
    return { kitchen, sets, afterFlush };
  } finally {
    watch?.proc.kill('SIGKILL');
    killLabProcesses();
    lab.teardown();
  }
}
