// A router's public (WAN) address changes mid-session, as when a phone moves networks or a CGNAT
// re-addresses a customer: the router gets a new address in its ISP's subnet (the old one is
// gone), its masquerade follows, its conntrack is flushed, and a `client watch` is running.
// Cases: the client's router moves under a one-shot watch (roaming must carry it); it moves under
// the client agent (`client up`, watch and set through it: the session roams, or falls back in
// place onto the relay, issue 21); both routers move (it falls back, or reconnects through the
// rendezvous). `client set … toggle` commands before and after: every
// answer must be the next state (a toggle applied twice or lost shows), the watch must show each
// state, and the time from the move to the first command seen again in the watch is measured.
import { setTimeout as sleep } from 'node:timers/promises';
import { inNs } from './netns.js';
import { pairInLab, spawnWatch, type WatchLine } from './paired.js';
import { killLabProcesses, runClient, start } from './runner.js';
import { buildLab, parseSite, type Lab } from './topology.js';

export type WanCase = 'oneshot' | 'agent' | 'agent-filtered' | 'both';

export interface WanResult {
  case: WanCase;
  home: string;
  client: string;
  /** Move → first post-move command answered and shown in the watch, ms (null: never). */
  resumeMs: number | null;
  /** States the successful toggles had to produce, in order. */
  expected: string[];
  /** States the successful toggles answered. */
  answers: string[];
  /** `client set` attempts that failed (retried by the lab, as a user would). */
  failedSets: number;
  /** Kitchen states the watch printed, in order (pushes and resyncs). */
  kitchen: string[];
  /** Full resyncs the watch did (each re-prints every device once). */
  resyncs: number;
  finalState: string;
  /** Agent cases: connect attempts after the move, reconnects, move → down and down → up (ms). */
  attempts: number | null;
  reconnects: number | null;
  detectMs: number | null;
  reconnectMs: number | null;
  /** The router addresses before → after. */
  moved: string[];
}

/** Bounds: commands retried after the move for at most this long, each wait this long. */
const RESUME_BOUND_MS = 50_000;
const SHOW_BOUND_MS = 15_000;

/** Moves the router's WAN address to another one in the same ISP subnet; returns "old → new". */
export function moveWan(routerNs: string): string {
  const cur = /inet (\d+\.\d+\.\d+)\.(\d+)\/24/.exec(
    inNs(routerNs, 'ip', ['-4', '-o', 'addr', 'show', 'dev', 'wan']),
  );
  if (!cur?.[1] || !cur[2]) throw new Error(`no /24 on ${routerNs}'s wan`);
  const [net, old] = [cur[1], Number(cur[2])];
  const fresh = `${net}.${old + 100}`;
  inNs(routerNs, 'ip', ['addr', 'del', `${net}.${old}/24`, 'dev', 'wan']);
  inNs(routerNs, 'ip', ['addr', 'add', `${fresh}/24`, 'dev', 'wan']);
  // Deleting the address took the default route with it; masquerade picks up the new address.
  inNs(routerNs, 'ip', ['route', 'replace', 'default', 'via', `${net}.1`]);
  try {
    inNs(routerNs, 'conntrack', ['-F']);
  } catch {
    // an empty table makes conntrack exit non-zero on some versions
  }
  return `${net}.${old} → ${fresh}`;
}

const parse = (l: WatchLine): Record<string, unknown> => {
  try {
    return JSON.parse(l.line) as Record<string, unknown>;
  } catch {
    return {};
  }
};

async function until(ok: () => boolean, boundMs: number): Promise<boolean> {
  const end = Date.now() + boundMs;
  while (Date.now() < end) {
    if (ok()) return true;
    await sleep(100);
  }
  return ok();
}

const SITES: Record<WanCase, { home: string; client: string }> = {
  // An endpoint-independent home router lets the client's frames in from its new address.
  oneshot: { home: 'full', client: 'symmetric' },
  agent: { home: 'full', client: 'symmetric' },
  // An address-restricted home router drops them: the session must fall back onto the relay.
  'agent-filtered': { home: 'restricted', client: 'symmetric' },
  both: { home: 'restricted', client: 'symmetric' },
};

export async function runWanChangeLab(which: WanCase): Promise<WanResult> {
  const sites = SITES[which];
  const lab: Lab = buildLab({
    home: parseSite(sites.home),
    client: parseSite(sites.client),
    firewall: true,
    lossPct: 0,
  });
  let watch: ReturnType<typeof spawnWatch> | undefined;
  try {
    const p = await pairInLab(lab, 'wan');
    const agent = which !== 'oneshot';
    if (agent) {
      await start(lab.ns.client, ['client', 'up', '--state', p.phoneDir], 'control socket');
    }
    watch = spawnWatch(lab, p.base);
    const w = watch;
    const events = (): Array<{ at: number; e: Record<string, unknown> }> =>
      w.lines.map((l) => ({ at: l.at, e: parse(l) }));
    const kitchenShown = (state: string, after: number): WatchLine | undefined =>
      w.lines.find((l) => {
        const e = parse(l);
        return l.at >= after && e.entity_id === 'light.kitchen' && e.state === state;
      });
    if (agent) {
      const up = await until(
        () => events().some(({ e }) => e.event === 'path' && e.state === 'up'),
        20_000,
      );
      if (!up) throw new Error(`the agent did not come up: ${JSON.stringify(w.lines)}`);
    }
    await sleep(agent ? 500 : 4000); // the watch subscribes

    const answers: string[] = [];
    let failedSets = 0;
    /** One toggle; the answered state, or undefined when the command failed. */
    const toggle = async (): Promise<string | undefined> => {
      const out = await runClient(
        lab.ns.client,
        ['client', 'set', 'light.kitchen', 'toggle', ...p.base],
        20_000,
      );
      const r = (() => {
        try {
          return JSON.parse(out) as { state?: string };
        } catch {
          return {};
        }
      })();
      if (typeof r.state !== 'string') {
        failedSets++;
        return undefined;
      }
      answers.push(r.state);
      return r.state;
    };
    /** Toggles once and waits (bounded) for the watch to show it; when it did. */
    const toggleSeen = async (): Promise<number | undefined> => {
      const before = Date.now();
      const s = await toggle();
      if (s === undefined) return undefined;
      await until(() => kitchenShown(s, before) !== undefined, SHOW_BOUND_MS);
      return kitchenShown(s, before)?.at;
    };

    for (let i = 0; i < 2; i++) await toggleSeen();
    const movedAt = Date.now();
    const moved = [moveWan(lab.ns.clientNats.at(-1) as string)];
    if (which === 'both') moved.push(moveWan(lab.ns.homeNats.at(-1) as string));

    let resumeMs: number | null = null;
    while (Date.now() - movedAt < RESUME_BOUND_MS) {
      const seen = await toggleSeen();
      if (seen !== undefined) {
        resumeMs = seen - movedAt;
        break;
      }
      await sleep(500);
    }
    for (let i = 0; i < 3; i++) await toggleSeen();
    await sleep(1000);
    const final = parse({
      at: 0,
      line: await runClient(lab.ns.client, ['client', 'get', 'light.kitchen', ...p.base]),
    });

    const all = events();
    const after = all.filter(({ at }) => at >= movedAt);
    const paths = after.filter(({ e }) => e.event === 'path');
    const downAt = paths.find(({ e }) => e.state === 'down')?.at;
    const upAt = paths.find(({ e }) => e.state === 'up')?.at;
    const status = agent
      ? parse({
          at: 0,
          line: await runClient(lab.ns.client, [
            'client',
            'status',
            '--state',
            p.phoneDir,
            '--json',
          ]),
        })
      : {};
    const expected = answers.map((_, i) => (i % 2 === 0 ? 'on' : 'off'));
    return {
      case: which,
      ...sites,
      resumeMs,
      expected,
      answers,
      failedSets,
      kitchen: all
        .filter(({ e }) => e.entity_id === 'light.kitchen')
        .map(({ e }) => String(e.state)),
      resyncs: all.filter(({ e }) => e.entity_id === 'light.bedroom').length,
      finalState: String(final.state),
      attempts: agent ? paths.filter(({ e }) => e.state === 'connecting').length : null,
      reconnects: agent ? Number(status.reconnects ?? NaN) : null,
      detectMs: downAt !== undefined ? downAt - movedAt : null,
      reconnectMs: downAt !== undefined && upAt !== undefined ? upAt - downAt : null,
      moved,
    };
  } finally {
    watch?.proc.kill('SIGKILL');
    killLabProcesses();
    lab.teardown();
  }
}
