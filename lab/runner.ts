// Runs the real porthole programs inside the lab: the rendezvous on the core, the home agent on
// the home host, and K client connects from the client host, with every NAT's conntrack table
// flushed between trials.
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile } from '../src/sim/stats.js';
import { inNs } from './netns.js';
import { buildLab, siteName, type Lab, type LabSpec } from './topology.js';
import { installWireCount, readWireCount, resetWireCount } from './wire-count.js';

/** bin/porthole.js of this checkout, whether we run from lab/ (tsx) or dist/lab/ (compiled). */
export const BIN = [
  new URL('../bin/porthole.js', import.meta.url),
  new URL('../../bin/porthole.js', import.meta.url),
]
  .map((u) => fileURLToPath(u))
  .find((p) => existsSync(p)) as string;
const HOME_ID = 'lab-home';
const RV_PORT = 7400;

export interface LabPairResult {
  home: string;
  client: string;
  firewall: boolean;
  trials: number;
  success: number;
  path: string;
  p50ms: number | null;
  p95ms: number | null;
  /** Share of the trials (failed ones included) that connected in under 300 ms. */
  under300: number;
  /** The first trial's ms (a client with an empty NAT class cache), null when it failed. */
  firstMs: number | null;
  packets: number | null;
  /** Mean stray (unsolicited, unanswered) conntrack entries per trial on each side's NATs. */
  stray: { home: number; client: number };
  errors: string[];
  /** Output lines of `extraClientCommands`, in order. */
  extra: string[];
  /** Issue 9, from the successful connects' --json lines: the most frequent value of each. */
  strategy: string;
  homeNat: string;
  clientNat: string;
  /** Means per successful connect: the client's report, and each host's own sends towards the
   * other side's public network as counted on the host (lab/wire-count.ts). */
  perConnect: {
    clientPackets: number | null;
    clientSockets: number | null;
    discoveryPackets: number | null;
    wire: {
      home: { packets: number; sockets: number };
      client: { packets: number; sockets: number };
    } | null;
  };
}

export interface LabRunOptions {
  trials: number;
  /** Extra flags for `porthole client connect`. */
  clientArgs?: string[];
  homeArgs?: string[];
  rendezvousArgs?: string[];
  /** Runs once the namespaces exist (e.g. extra nftables rules), before any process starts. */
  onLab?: (lab: Lab) => void;
  /** More `porthole client …` commands (e.g. device commands) to run after the trials. */
  extraClientCommands?: string[][];
  onTrial?: (i: number, line: string) => void;
  /** One uncounted connect first (it fills the client's NAT class cache; its ms is firstMs). */
  prime?: boolean;
  /** Trials start only once the home has classified its NAT (the class rides on its next
   *  registration, inside the settle before each connect) — for tests that read `homeNat`. */
  homeClassified?: boolean;
}

const live = new Set<ChildProcess>();
/** Kills every process the lab started (for Ctrl-C and failures). */
export function killLabProcesses(): void {
  for (const p of live) p.kill('SIGKILL');
  live.clear();
}

/** A `porthole` role inside namespace `ns`, info log on stderr, killed by killLabProcesses(). */
export function spawnInNs(ns: string, args: string[]): ChildProcessByStdio<null, null, Readable> {
  const p = spawn(
    'ip',
    ['netns', 'exec', ns, process.execPath, BIN, '--log-level', 'info', ...args],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  live.add(p);
  p.on('exit', () => live.delete(p));
  return p;
}

export function start(
  ns: string,
  args: string[],
  readyText: string,
  timeoutMs = 15_000,
): Promise<ChildProcess> {
  const p = spawnInNs(ns, args);
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(
      () =>
        reject(
          new Error(`${args[0]} did not log "${readyText}" in ${timeoutMs} ms: ${buf.slice(-400)}`),
        ),
      timeoutMs,
    );
    p.stderr.on('data', (b: Buffer) => {
      buf = (buf + b.toString()).slice(-4000);
      if (buf.includes(readyText)) {
        clearTimeout(timer);
        resolve(p);
      }
    });
    p.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args[0]} exited with ${code}: ${buf.slice(-400)}`));
    });
  });
}

export function runClient(
  ns: string,
  args: string[],
  timeoutMs = 60_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const p = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, ...args], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env,
  });
  live.add(p);
  return new Promise((resolve) => {
    let out = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.on('exit', () => {
      clearTimeout(timer);
      live.delete(p);
      resolve(out.trim().split('\n').pop() ?? '');
    });
  });
}

const mean = (xs: number[]): number =>
  Math.round(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length));

const meanOrNull = (xs: number[]): number | null =>
  xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10 : null;

/** The most frequent value, '-' when none. */
function mode(xs: string[]): string {
  const n = new Map<string, number>();
  for (const x of xs) n.set(x, (n.get(x) ?? 0) + 1);
  return [...n].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '-';
}

export function flushConntrack(lab: Lab): void {
  for (const ns of lab.ns.nats) {
    try {
      inNs(ns, 'conntrack', ['-F']);
    } catch {
      // an empty table makes conntrack exit non-zero on some versions
    }
    // The restricted router's addresses-contacted set is NAT state too: left over, a trial's
    // discovery would see the last trial's probes to the rendezvous's second IP and read the
    // router as full cone.
    try {
      inNs(ns, 'nft', ['flush', 'set', 'ip', 'phnat', 'contacted']);
    } catch {
      // only restricted routers have the set
    }
  }
}

/**
 * Conntrack entries on the NATs that were started from outside towards a NAT's own public address
 * and never answered: what unsolicited packets (spray or knocks that reached the far NAT) leave
 * behind. With the router firewall on there are none; without it each one blocks that public port
 * for a mapping towards its sender (docs/lab-results.md).
 */
export function strayEntries(nats: string[]): number {
  let n = 0;
  for (const ns of nats) {
    try {
      const wan = /inet (\S+)\//.exec(inNs(ns, 'ip', ['-4', '-o', 'addr', 'show', 'dev', 'wan']));
      if (!wan?.[1]) continue;
      const out = inNs(ns, 'conntrack', ['-L', '-p', 'udp', '--orig-dst', wan[1]]);
      n += out.split('\n').filter((l) => l.includes('[UNREPLIED]')).length;
    } catch {
      // no entries: some conntrack versions exit non-zero
    }
  }
  return n;
}

/** A --json line's ms when it connected, else null. */
function msOf(line: string): number | null {
  try {
    const r = JSON.parse(line) as { ms?: number; path?: string; error?: string };
    return r.error === undefined && r.path ? (r.ms ?? null) : null;
  } catch {
    return null;
  }
}

/** After a connect, the home's follow-up re-sends (up to 1.2 s after its holes) still count. */
const SETTLE_MS = 1500;

export async function runLabPair(spec: LabSpec, o: LabRunOptions): Promise<LabPairResult> {
  const lab = buildLab(spec);
  // The client's NAT class cache (src/cli/nat-cache.ts) is this pair's own: the lab builds every
  // kind behind the same addresses, so a shared ~/.cache would carry one kind's class to another.
  const cacheDir = mkdtempSync(join(tmpdir(), 'porthole-lab-cache-'));
  const clientEnv = { ...process.env, XDG_CACHE_HOME: cacheDir };
  let firstMs: number | null = null;
  const ms: number[] = [];
  const packets: number[] = [];
  const paths = new Map<string, number>();
  const errors: string[] = [];
  const extra: string[] = [];
  const strays = { home: [] as number[], client: [] as number[] };
  const facts = { strategy: [] as string[], homeNat: [] as string[], clientNat: [] as string[] };
  const counts = {
    clientPackets: [] as number[],
    clientSockets: [] as number[],
    discovery: [] as number[],
    wire: [] as Array<{ hp: number; hs: number; cp: number; cs: number }>,
  };
  try {
    const rv = `${lab.rendezvousIp}:${RV_PORT}`;
    o.onLab?.(lab);
    installWireCount(lab.ns.home, lab.clientPublicNet);
    installWireCount(lab.ns.client, lab.homePublicNet);
    // The second IP lets the RFC 5780 tests tell address-dependent mapping from independent.
    await start(
      lab.ns.rendezvous,
      ['rendezvous', '--listen', rv, '--alt-ip', lab.rendezvousAltIp, ...(o.rendezvousArgs ?? [])],
      'rendezvous listening',
    );
    // A 1 s keepalive re-creates the home's mapping quickly after each conntrack flush.
    const homeArgs = [
      'home',
      '--id',
      HOME_ID,
      '--rendezvous',
      rv,
      '--listen',
      '0.0.0.0:7401',
      '--keepalive',
      '1000',
    ];
    const sprayTtlGiven =
      (o.homeArgs ?? []).includes('--spray-ttl') && !(o.homeArgs ?? []).includes('auto');
    await start(
      lab.ns.home,
      [...homeArgs, ...(o.homeArgs ?? [])],
      o.homeClassified
        ? 'home NAT classified'
        : sprayTtlGiven
          ? 'registered with rendezvous'
          : 'measured hops',
      o.homeClassified ? 30_000 : 15_000,
    );
    const connect = async (): Promise<string> => {
      flushConntrack(lab);
      await sleep(1300);
      const args = ['client', 'connect', '--home', HOME_ID, '--rendezvous', rv, '--json'];
      return runClient(lab.ns.client, [...args, ...(o.clientArgs ?? [])], 60_000, clientEnv);
    };
    if (o.prime) firstMs = msOf(await connect());
    for (let i = 0; i < o.trials; i++) {
      const counted = [lab.ns.home, lab.ns.client].map(resetWireCount).every(Boolean);
      const line = await connect();
      await sleep(SETTLE_MS);
      const [hw, cw] = counted
        ? [readWireCount(lab.ns.home), readWireCount(lab.ns.client)]
        : [null, null];
      strays.home.push(strayEntries(lab.ns.homeNats));
      strays.client.push(strayEntries(lab.ns.clientNats));
      o.onTrial?.(i, line);
      try {
        const r = JSON.parse(line) as {
          error?: string;
          path?: string;
          ms?: number;
          packetsSent?: number;
          socketsOpened?: number;
          discoveryPackets?: number;
          strategy?: string;
          homeNat?: string;
          clientNat?: string;
        };
        facts.homeNat.push(r.homeNat ?? 'unknown');
        facts.clientNat.push(r.clientNat ?? 'unknown');
        if (r.error === undefined && r.path) {
          if (i === 0 && !o.prime) firstMs = r.ms ?? 0;
          ms.push(r.ms ?? 0);
          packets.push(r.packetsSent ?? 0);
          facts.strategy.push(r.strategy ?? '-');
          counts.clientPackets.push(r.packetsSent ?? 0);
          counts.clientSockets.push(r.socketsOpened ?? 0);
          if (r.discoveryPackets !== undefined) counts.discovery.push(r.discoveryPackets);
          if (hw && cw)
            counts.wire.push({ hp: hw.packets, hs: hw.sockets, cp: cw.packets, cs: cw.sockets });
          paths.set(r.path, (paths.get(r.path) ?? 0) + 1);
        } else {
          errors.push(r.error ?? 'no path');
        }
      } catch {
        errors.push(`unparseable client output: ${line.slice(0, 200)}`);
      }
    }
    for (const args of o.extraClientCommands ?? []) {
      extra.push(
        await runClient(
          lab.ns.client,
          [...args, '--home', HOME_ID, '--rendezvous', rv, '--json'],
          60_000,
          clientEnv,
        ),
      );
    }
  } finally {
    killLabProcesses();
    lab.teardown();
    rmSync(cacheDir, { recursive: true, force: true });
  }
  const path = [...paths].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '-';
  return {
    home: siteName(spec.home),
    client: siteName(spec.client),
    firewall: spec.firewall,
    trials: o.trials,
    success: Math.round((ms.length / Math.max(1, o.trials)) * 1000) / 1000,
    path,
    p50ms: ms.length ? percentile(ms, 50) : null,
    p95ms: ms.length ? percentile(ms, 95) : null,
    under300: Math.round((ms.filter((x) => x < 300).length / Math.max(1, o.trials)) * 1000) / 1000,
    firstMs,
    packets: packets.length
      ? Math.round(packets.reduce((a, b) => a + b, 0) / packets.length)
      : null,
    stray: { home: mean(strays.home), client: mean(strays.client) },
    errors: [...new Set(errors)].slice(0, 3),
    extra,
    strategy: mode(facts.strategy),
    homeNat: mode(facts.homeNat),
    clientNat: mode(facts.clientNat),
    perConnect: {
      clientPackets: meanOrNull(counts.clientPackets),
      clientSockets: meanOrNull(counts.clientSockets),
      discoveryPackets: meanOrNull(counts.discovery),
      wire: counts.wire.length
        ? {
            home: {
              packets: meanOrNull(counts.wire.map((w) => w.hp)) ?? 0,
              sockets: meanOrNull(counts.wire.map((w) => w.hs)) ?? 0,
            },
            client: {
              packets: meanOrNull(counts.wire.map((w) => w.cp)) ?? 0,
              sockets: meanOrNull(counts.wire.map((w) => w.cs)) ?? 0,
            },
          }
        : null,
    },
  };
}
