// `npm run soak [-- --minutes N] [--short] [--json] [--no-streams]` (issue 21, root): the whole
// system in the real-NAT lab under a schedule of faults. A port-restricted home and a symmetric
// client (routers firewalled); a rendezvous cluster of two nodes with Redis and a relay node on
// the core; the home (keepalive 1 s) registered with the cluster and the relay node; a paired
// client agent (`client up`) with a `client watch` through it and one `client set … toggle` per
// second on its control socket; a forwarded TCP stream (`home serve` + `client forward`) probed
// every few seconds; and a second paired client (no agent) for fresh one-shot connects.
// Faults: conntrack flushed on either router, the client's WAN address changed, the rendezvous
// restarted, the cluster node holding the home killed, Redis restarted, the relay node restarted,
// the home restarted, 5% loss for a window, UDP blocked for a window. Counted: every command
// applied exactly once or reported "not applied" (none lost, none doubled, no other outcome),
// every state change shown by the watch, each fault's time to recover against its bound
// (docs/soak.md), the RSS of every process after warm-up and at the end, crashes and unhandled
// errors in every log. A table, then one --json line; exit 1 when a target is missed.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  type WriteStream,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { parseOptions } from '../bench/cli-args.js';
import type { BrowserContext, Page } from 'playwright-core';
import { agentSocket } from '../src/cli/client-up-cmd.js';
import { ControlClient } from '../src/client/agent/control-client.js';
import { selfSignedCert } from './browser.js';
import { checkLabPrerequisites, inNs, nft } from './netns.js';
import { judgeRenders, type RenderVerdict } from './phone-renders.js';
import { BIN, runClient } from './runner.js';
import { buildLab, parseSite, type Lab } from './topology.js';

export type FaultName =
  | 'flush-client'
  | 'flush-home'
  | 'wan-change'
  | 'rendezvous-restart'
  | 'node-kill'
  | 'redis-restart'
  | 'relay-restart'
  | 'home-restart'
  | 'loss-5pct'
  | 'udp-blocked'
  | 'ha-restart';

export const FAULTS: readonly FaultName[] = [
  'flush-client',
  'flush-home',
  'wan-change',
  'rendezvous-restart',
  'node-kill',
  'redis-restart',
  'relay-restart',
  'home-restart',
  'loss-5pct',
  'udp-blocked',
];

/**
 * Recovery bounds, written before the first run (docs/soak.md says why each is what it is).
 * Recovery = from the fault (for the windows: from the window's end, and for UDP blocked also
 * from its start) until every probe of that fault succeeded: a counted command applied and shown
 * by the watch, plus for the server-side faults a fresh one-shot connect of the second client
 * (node start-up included) through the path the fault broke.
 */
export const BOUNDS_MS: Record<FaultName, number> = {
  'flush-client': 5_000,
  'flush-home': 5_000,
  'wan-change': 15_000,
  'rendezvous-restart': 15_000,
  'node-kill': 15_000,
  'redis-restart': 15_000,
  'relay-restart': 20_000,
  'home-restart': 20_000,
  'loss-5pct': 5_000,
  'udp-blocked': 20_000,
  'ha-restart': 10_000,
};
/**
 * The phone app in Chromium: after each fault its page is live again (a relayed or direct path,
 * states not stale) and has shown a state change pushed after the fault, within the fault's bound
 * plus the app's longest reconnect backoff step (15 s, src/phone/session.ts BACKOFF_MS).
 */
export const PHONE_EXTRA_MS = 15_000;
/** Home Assistant restarted: HA itself must answer HTTP again within this (printed, judged). */
export const HA_START_BOUND_MS = 120_000;
/** UDP blocked: commands must also work again this soon after the block is lifted. */
export const UDP_UNBLOCK_BOUND_MS = 10_000;
/** RSS growth bound, after warm-up, for processes that lived long enough to judge. */
export const RSS_GROWTH_BOUND = 0.1;
/** Live heap (after a full GC, the memory probe) growth bound over the same span. */
export const HEAP_GROWTH_BOUND = 0.1;

export interface SoakOptions {
  minutes: number;
  short: boolean;
  streams: boolean;
  /** The phone web app open in Chromium in the client's namespace (a counted phone session). */
  phone?: boolean;
  /** A real Home Assistant Core (the cached venv) as the home's device source, and the
   *  `ha-restart` fault. */
  ha?: boolean;
  /** The cluster names a relay node (default); false: each node relays itself (no relay-restart;
   *  the phone's node then bridges its WebSocket session to the node holding the home). */
  relayNode?: boolean;
  /** Only these faults (default: all, in the order of FAULTS). */
  only?: readonly FaultName[];
  /** The memory probe in every Node process (default on): a full GC and a memory sample every
   *  memProbeMs (30 s; short mode 5 s), so the report gives the live heap beside the RSS. Off:
   *  RSS only, as in production (no forced GCs). 'passive': the samples without the GC (what
   *  V8 holds in production; heapUsed is then not the live heap). */
  memProbe?: boolean | 'passive';
  memProbeMs?: number;
  /** Progress lines (stderr by default). */
  progress?: (line: string) => void;
}

interface Sample {
  at: number;
  kb: number;
  /** /proc/PID/status RssAnon (private: heap, malloc, stacks) and RssFile (mapped files: the
   *  node binary's pages, shared and clean) — VmRSS is their sum plus RssShmem. */
  anonKb?: number;
  fileKb?: number;
}
interface Incarnation {
  pid: number;
  startedAt: number;
  rss: Sample[];
  /** The memory probe's samples (Node processes with the probe), read at the end. */
  mem?: MemSample[];
}
/** One line of the memory probe (MEM_PROBE): bytes, except the /proc figures (KiB). */
export interface MemSample {
  at: number;
  /** A full GC came first (false: the passive probe, no --expose-gc). */
  gc: boolean;
  /** RSS just before the forced GC, and after it. */
  rssBeforeGc: number;
  rss: number;
  heapTotal: number;
  /** Live heap after a full GC. */
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** V8's compiled code and bytecode (with metadata). */
  code: number;
  /** /proc/self/status after the GC: anonymous and file-backed resident KiB. */
  rssAnonKb?: number;
  rssFileKb?: number;
  /** V8's heap spaces (new, old, code, large_object, …): physical KiB. */
  spacesKb?: Record<string, number>;
}

/**
 * The memory probe, preloaded (`--require`) into every Node process the soak starts: every
 * PORTHOLE_SOAK_MEM_MS (30 s) a full GC (`--expose-gc`), then one JSON line of
 * process.memoryUsage(), V8's code size and /proc's RssAnon/RssFile to
 * $PORTHOLE_SOAK_MEM_DIR/<pid>.jsonl. Heap snapshots on SIGUSR2 (`--heapsnapshot-signal`).
 */
const MEM_PROBE = `'use strict';
const fs = require('node:fs');
const path = require('node:path');
const v8 = require('node:v8');
const dir = process.env.PORTHOLE_SOAK_MEM_DIR;
delete process.env.PORTHOLE_SOAK_MEM_DIR;
const every = Number(process.env.PORTHOLE_SOAK_MEM_MS || 30000);
if (dir) {
  const file = path.join(dir, process.pid + '.jsonl');
  const kb = (text, key) => {
    const line = text.split('\\n').find((l) => l.startsWith(key + ':'));
    return line ? parseInt(line.slice(key.length + 1).trim(), 10) : undefined;
  };
  const tick = () => {
    try {
      const rssBeforeGc = process.memoryUsage.rss();
      if (typeof globalThis.gc === 'function') globalThis.gc();
      const m = process.memoryUsage();
      const c = v8.getHeapCodeStatistics();
      const spaces = {};
      for (const x of v8.getHeapSpaceStatistics())
        spaces[x.space_name.replace('_space', '')] = Math.round(x.physical_space_size / 1024);
      let st = '';
      try { st = fs.readFileSync('/proc/self/status', 'utf8'); } catch {}
      fs.appendFileSync(file, JSON.stringify({
        at: Date.now(), gc: typeof globalThis.gc === 'function', rssBeforeGc, rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed,
        external: m.external, arrayBuffers: m.arrayBuffers,
        code: c.code_and_metadata_size + c.bytecode_and_metadata_size,
        rssAnonKb: kb(st, 'RssAnon'), rssFileKb: kb(st, 'RssFile'), spacesKb: spaces,
      }) + '\\n');
    } catch {}
  };
  setTimeout(tick, 2000).unref();
  setInterval(tick, every).unref();
}
`;

/** A long-running process in a lab namespace: output to its log file, restarts, RSS samples. */
class Proc {
  child: ChildProcess | undefined;
  readonly lives: Incarnation[] = [];
  readonly crashes: string[] = [];
  private stopping = false;
  /** SIGKILL after this long in stop() (HA saves its state on SIGTERM: longer). */
  stopMs = 5000;
  /** Node processes: flags put before the script (the memory probe) and extra environment. */
  nodeFlags: string[] = [];
  env: NodeJS.ProcessEnv = {};
  private readonly log: WriteStream;
  constructor(
    readonly name: string,
    readonly ns: string,
    readonly argv: string[],
    readonly ready: string,
    readonly logPath: string,
    private readonly onLine?: (line: string, at: number) => void,
    /** Instead of a line: resolves once the process is ready (e.g. HA answers HTTP). */
    private readonly readyCheck?: () => Promise<void>,
  ) {
    this.log = createWriteStream(logPath, { flags: 'a' });
  }

  start(timeoutMs = 30_000): Promise<void> {
    this.stopping = false;
    const [cmd, ...rest] = this.argv;
    const argv = cmd === process.execPath ? [cmd, ...this.nodeFlags, ...rest] : this.argv;
    const p = spawn('ip', ['netns', 'exec', this.ns, ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...(cmd === process.execPath ? this.env : {}) },
    });
    this.child = p;
    this.lives.push({ pid: p.pid ?? -1, startedAt: Date.now(), rss: [] });
    this.log.write(`--- start ${new Date().toISOString()} pid ${p.pid}\n`);
    let buf = '';
    let out = '';
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(new Error(`${this.name} did not say "${this.ready}" in ${timeoutMs} ms`));
      }, timeoutMs);
      this.readyCheck?.().then(
        () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve();
        },
        (e: Error) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(e);
        },
      );
      const seen = (b: Buffer): void => {
        this.log.write(b);
        if (settled) return;
        buf = (buf + b.toString()).slice(-8000);
        if (!this.readyCheck && buf.includes(this.ready)) {
          settled = true;
          clearTimeout(timer);
          resolve();
        }
      };
      p.stderr?.on('data', seen);
      p.stdout?.on('data', (b: Buffer) => {
        seen(b);
        if (!this.onLine) return;
        out += b.toString();
        const parts = out.split('\n');
        out = parts.pop() ?? '';
        const at = Date.now();
        for (const l of parts) this.onLine(l, at);
      });
      p.on('exit', (code, signal) => {
        this.log.write(`--- exit ${new Date().toISOString()} code ${code} signal ${signal}\n`);
        if (this.child === p) this.child = undefined;
        if (!this.stopping) this.crashes.push(`${this.name} exited (code ${code}, ${signal})`);
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          reject(new Error(`${this.name} exited before "${this.ready}": ${buf.slice(-400)}`));
        }
      });
    });
  }

  /** Stops it (SIGTERM: a clean stop; SIGKILL: a crash we caused) and waits ≤ 5 s. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.child;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    this.stopping = true;
    const gone = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(signal);
    const t = setTimeout(() => p.kill('SIGKILL'), this.stopMs);
    await gone;
    clearTimeout(t);
  }

  async restart(timeoutMs?: number): Promise<void> {
    await this.stop('SIGTERM');
    await this.start(timeoutMs);
  }

  sample(): void {
    const life = this.lives.at(-1);
    if (!life || !this.child || this.child.exitCode !== null) return;
    try {
      const st = readFileSync(`/proc/${life.pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(st)?.[1] ?? NaN);
      const anonKb = Number(/RssAnon:\s+(\d+)/.exec(st)?.[1] ?? NaN);
      const fileKb = Number(/RssFile:\s+(\d+)/.exec(st)?.[1] ?? NaN);
      if (Number.isFinite(kb))
        life.rss.push({
          at: Date.now(),
          kb,
          ...(Number.isFinite(anonKb) && Number.isFinite(fileKb) ? { anonKb, fileKb } : {}),
        });
    } catch {
      // gone between the check and the read
    }
  }

  close(): void {
    this.log.end();
  }
}

/**
 * RSS of a process tree the soak did not spawn itself (Chromium, started by playwright): one
 * row per Chromium process kind (`browser`, `renderer`, `gpu-process`, `utility`, `zygote`),
 * the VmRSS of its pids summed, sampled with the others.
 */
class TreeRss {
  readonly groups = new Map<string, Incarnation>();
  private rootPid: number | undefined;
  constructor(
    readonly name: string,
    /** Finds the tree's root (e.g. the browser by its profile dir in /proc/PID/cmdline). */
    private readonly findRoot: (
      cmdline: (pid: number) => string,
      pids: number[],
    ) => number | undefined,
  ) {}

  sample(): void {
    const pids = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
    const cmdline = (pid: number): string => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      } catch {
        return '';
      }
    };
    if (this.rootPid === undefined || !existsSync(`/proc/${this.rootPid}`))
      this.rootPid = this.findRoot(cmdline, pids);
    const root = this.rootPid;
    if (root === undefined) return;
    const kids = new Map<number, number[]>();
    for (const pid of pids) {
      try {
        const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const ppid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
        kids.set(ppid, [...(kids.get(ppid) ?? []), pid]);
      } catch {
        // gone
      }
    }
    const sums = new Map<string, number>();
    const todo = [root];
    const at = Date.now();
    while (todo.length) {
      const pid = todo.pop() as number;
      todo.push(...(kids.get(pid) ?? []));
      try {
        const kb = Number(
          /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN,
        );
        if (!Number.isFinite(kb)) continue;
        const kind =
          pid === root ? 'browser' : (/--type=([\w-]+)/.exec(cmdline(pid))?.[1] ?? 'other');
        sums.set(kind, (sums.get(kind) ?? 0) + kb);
      } catch {
        // gone
      }
    }
    for (const [kind, kb] of sums) {
      let life = this.groups.get(kind);
      if (!life) this.groups.set(kind, (life = { pid: root, startedAt: at, rss: [] }));
      life.rss.push({ at, kb });
    }
  }

  rows(): Array<{ name: string; lives: Incarnation[] }> {
    return [...this.groups].map(([kind, life]) => ({
      name: `${this.name} ${kind}`,
      lives: [life],
    }));
  }
}

const execFileP = promisify(execFile);
/** A command inside a namespace without blocking the soak's event loop; its stdout. */
async function nsRun(ns: string, argv: string[], timeoutMs: number): Promise<string> {
  const { stdout } = await execFileP('ip', ['netns', 'exec', ns, ...argv], {
    timeout: timeoutMs,
    encoding: 'utf8',
  });
  return stdout;
}

interface CommandRecord {
  i: number;
  sent: number;
  end: number;
  state?: string;
  error?: string;
}

export interface FaultResult {
  fault: FaultName;
  round: number;
  /** ms since the soak began. */
  at: number;
  boundMs: number;
  /** Per probe: ms to recover (null: not within the give-up time). */
  probes: Record<string, number | null>;
  /** The slowest probe; null when one never recovered. */
  recoverMs: number | null;
  ok: boolean;
  detail: string;
}

export interface RssRow {
  name: string;
  pid: number;
  /** KiB after warm-up, at the end. */
  startKb: number;
  endKb: number;
  /** Minutes between the two. */
  spanMin: number;
  growth: number;
  judged: boolean;
  /** RssAnon (private memory) after warm-up and at the end, KiB, and its growth; RssFile too. */
  anonStartKb?: number;
  anonEndKb?: number;
  anonGrowth?: number;
  fileStartKb?: number;
  fileEndKb?: number;
  /** The memory probe (Node processes): the live heap after a full GC, the RSS just after that
   *  GC, V8's code, /proc's RssAnon and RssFile — KiB at the first probe sample after warm-up
   *  and at the last one. */
  heap?: MemRow;
}
export interface MemRow {
  /** The samples came after a forced full GC (false: --mem-probe-passive). */
  gc: boolean;
  heapStartKb: number;
  heapEndKb: number;
  heapGrowth: number;
  rssGcStartKb: number;
  rssGcEndKb: number;
  codeStartKb: number;
  codeEndKb: number;
  externalStartKb: number;
  externalEndKb: number;
  anonStartKb?: number;
  anonEndKb?: number;
  fileStartKb?: number;
  fileEndKb?: number;
  /** The largest heap after GC over the whole life (KiB). */
  heapMaxKb: number;
}

export interface SoakResult {
  minutes: number;
  short: boolean;
  commands: number;
  applied: number;
  notApplied: number;
  /** Ended with anything other than a state or "not applied". */
  unknown: string[];
  /** Answers that repeated the previous state (a toggle doubled, or a "failed" one applied). */
  doubled: number;
  /** Applied commands whose state the watch never showed (in order). */
  unseen: number;
  slowestMs: number;
  finalState: string;
  faults: FaultResult[];
  rss: RssRow[];
  crashes: string[];
  /** Lines matching unhandled errors / crashes in any log. */
  logProblems: string[];
  stream: { tries: number; ok: number; longestOutageMs: number; lastOk: boolean } | null;
  /** The phone web app in Chromium (null when not in this run). */
  phone: {
    /** State changes the page rendered (seen by a MutationObserver in the page). */
    changes: number;
    /** Applied commands answered while the page was live (every sample in sent-1 s … end+5 s). */
    covered: number;
    /**
     * Of those, neither rendered in order within 5 s of the answer nor superseded by then (the
     * page showing a newer command's state: a burst rendered as one change, a resync).
     */
    unseen: number;
    /** Of those covered, not rendered themselves but superseded within 5 s (not a miss). */
    superseded: number;
    /** Those, as "#i state at N s (rendered …)". */
    unseenAt: string[];
    samples: number;
    liveSamples: number;
    longestOutageMs: number;
    finalOk: boolean;
    path: string;
  } | null;
  /** Home Assistant as the device source: its entity and its restarts' times to answer HTTP. */
  ha: { entity: string; restartsMs: number[] } | null;
  paths: string[];
  missed: string[];
  logDir: string;
}

const ECHO = [
  new URL('./soak-echo.js', import.meta.url),
  new URL('../dist/lab/soak-echo.js', import.meta.url),
]
  .map((u) => fileURLToPath(u))
  .find((p) => existsSync(p) && p.endsWith('.js')) as string;

const HA_JS = [new URL('./ha.js', import.meta.url), new URL('../dist/lab/ha.js', import.meta.url)]
  .map((u) => fileURLToPath(u))
  .find((p) => existsSync(p) && p.endsWith('.js')) as string;
const HA_VENV = [
  new URL('../scripts/ha-venv.mjs', import.meta.url),
  new URL('../../scripts/ha-venv.mjs', import.meta.url),
]
  .map((u) => fileURLToPath(u))
  .find((p) => existsSync(p)) as string;
/** HA's port inside the home's namespace (127.0.0.1 there). */
const HA_PORT = 8123;
/** The HA demo entity the commands toggle (the simulated house's is light.kitchen). */
const HA_ENTITY = 'light.kitchen_lights';
const PHONE_LIVE = '[data-path="relayed"], [data-path="direct"]';

const json = (line: string): Record<string, unknown> => {
  try {
    const v = JSON.parse(line) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

/** Moves a router's WAN address between .N and .N+100 of its /24 (and back the next time). */
function moveWan(routerNs: string): string {
  const cur = /inet (\d+\.\d+\.\d+)\.(\d+)\/24/.exec(
    inNs(routerNs, 'ip', ['-4', '-o', 'addr', 'show', 'dev', 'wan']),
  );
  if (!cur?.[1] || !cur[2]) throw new Error(`no /24 on ${routerNs}'s wan`);
  const [net, old] = [cur[1], Number(cur[2])];
  const fresh = old < 100 ? old + 100 : old - 100;
  inNs(routerNs, 'ip', ['addr', 'del', `${net}.${old}/24`, 'dev', 'wan']);
  inNs(routerNs, 'ip', ['addr', 'add', `${net}.${fresh}/24`, 'dev', 'wan']);
  inNs(routerNs, 'ip', ['route', 'replace', 'default', 'via', `${net}.1`]);
  flush(routerNs);
  return `${net}.${old} → ${net}.${fresh}`;
}

function flush(ns: string): void {
  try {
    inNs(ns, 'conntrack', ['-F']);
  } catch {
    // an empty table makes conntrack exit non-zero on some versions
  }
}

/** Each end of a judged span is the median of its samples over this long (docs/soak.md; a
 *  quarter of the span when that is shorter). */
const MEM_END_WINDOW_MS = 2 * 60_000;

function median(xs: readonly (number | undefined)[]): number | undefined {
  const v = xs
    .filter((x): x is number => x !== undefined && Number.isFinite(x))
    .sort((a, b) => a - b);
  if (!v.length) return undefined;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : Math.round(((v[m - 1] as number) + (v[m] as number)) / 2);
}

/** (b - a) / a, rounded to 0.1 %. */
function ratio(a: number, b: number): number {
  return Math.round(((b - a) / a) * 1000) / 1000;
}

/** The probe's samples of one process life between `from` and `to` (the RSS verdict's span):
 *  each end the median over MEM_END_WINDOW_MS; undefined when it has none then. */
function memRow(memDir: string, life: Incarnation, from: number, to: number): MemRow | undefined {
  let xs: MemSample[] = [];
  try {
    xs = readFileSync(join(memDir, `${life.pid}.jsonl`), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as MemSample);
  } catch {
    return undefined;
  }
  life.mem = xs;
  const span = xs.filter((x) => x.at >= from - 15_000 && x.at <= to + 15_000);
  const a = span[0];
  const b = span.at(-1);
  if (!a || !b || b.at <= a.at) return undefined;
  const win = Math.min(MEM_END_WINDOW_MS, (b.at - a.at) / 4);
  const head = span.filter((x) => x.at <= a.at + win);
  const tail = span.filter((x) => x.at >= b.at - win);
  const k = (bytes: number | undefined): number => Math.round((bytes ?? 0) / 1024);
  const ends = (f: (x: MemSample) => number | undefined): [number, number] => [
    median(head.map(f)) ?? 0,
    median(tail.map(f)) ?? 0,
  ];
  const [heapStart, heapEnd] = ends((x) => x.heapUsed);
  const [rssStart, rssEnd] = ends((x) => x.rss);
  const [codeStart, codeEnd] = ends((x) => x.code);
  const [extStart, extEnd] = ends((x) => x.external);
  const [anonStart, anonEnd] = ends((x) => x.rssAnonKb);
  const [fileStart, fileEnd] = ends((x) => x.rssFileKb);
  return {
    gc: a.gc !== false,
    heapStartKb: k(heapStart),
    heapEndKb: k(heapEnd),
    heapGrowth: ratio(heapStart, heapEnd),
    rssGcStartKb: k(rssStart),
    rssGcEndKb: k(rssEnd),
    codeStartKb: k(codeStart),
    codeEndKb: k(codeEnd),
    externalStartKb: k(extStart),
    externalEndKb: k(extEnd),
    ...(anonStart && anonEnd ? { anonStartKb: anonStart, anonEndKb: anonEnd } : {}),
    ...(fileStart && fileEnd ? { fileStartKb: fileStart, fileEndKb: fileEnd } : {}),
    heapMaxKb: k(Math.max(...span.map((x) => x.heapUsed))),
  };
}

/** The soak's own helpers (lab/soak-echo.ts): their RSS is printed, not judged. */
const INSTRUMENTS = ['echo', 'stream-probe'];

const LOG_PROBLEM =
  /unhandled ?rejection|uncaught ?exception|unhandledRejection|uncaughtException|FATAL ERROR|heap out of memory|Segmentation fault|"level":60|triggerUncaughtException|^Node\.js v\d/i;

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const say = o.progress ?? ((l: string) => process.stderr.write(l + '\n'));
  const short = o.short;
  const entity = o.ha ? HA_ENTITY : 'light.kitchen';
  const withRelayNode = o.relayNode !== false;
  const totalMs = short ? 0 : o.minutes * 60_000;
  const warmupMs = short ? 10_000 : Math.min(5 * 60_000, totalMs / 6);
  // Short mode: loss for 15 s; UDP blocked for 25 s (finding the TCP relay takes ~12 s).
  const windowMs = short ? 15_000 : 60_000;
  const blockMs = short ? 25_000 : 60_000;
  const slotMs = short ? 0 : 45_000;
  const giveUpMs = short ? 30_000 : 60_000;
  const deadMs = short ? 2_000 : 20_000;
  const sampleMs = short ? 5_000 : 15_000;

  const lab: Lab = buildLab({
    home: parseSite('port'),
    client: parseSite('symmetric'),
    firewall: true,
    lossPct: 0,
  });
  const dir = mkdtempSync(join(tmpdir(), 'porthole-soak-'));
  const procs: Proc[] = [];
  const memProbe = o.memProbe !== false;
  const memDir = join(dir, 'mem');
  const memFlags: string[] = [];
  const memEnv: NodeJS.ProcessEnv = {};
  if (memProbe) {
    mkdirSync(join(dir, 'heap'), { recursive: true });
    mkdirSync(memDir, { recursive: true });
    writeFileSync(join(dir, 'mem-probe.cjs'), MEM_PROBE);
    if (o.memProbe !== 'passive') memFlags.push('--expose-gc');
    memFlags.push(
      '--require',
      join(dir, 'mem-probe.cjs'),
      '--heapsnapshot-signal=SIGUSR2',
      `--diagnostic-dir=${join(dir, 'heap')}`,
    );
    memEnv.PORTHOLE_SOAK_MEM_DIR = memDir;
    memEnv.PORTHOLE_SOAK_MEM_MS = String(o.memProbeMs ?? (short ? 5_000 : 30_000));
  }
  const node = (args: string[]): string[] => [
    process.execPath,
    BIN,
    '--log-level',
    'info',
    ...args,
  ];
  const proc = (
    name: string,
    ns: string,
    argv: string[],
    ready: string,
    onLine?: (l: string, at: number) => void,
    readyCheck?: () => Promise<void>,
  ): Proc => {
    const p = new Proc(name, ns, argv, ready, join(dir, `${name}.log`), onLine, readyCheck);
    p.nodeFlags = memFlags;
    p.env = memEnv;
    procs.push(p);
    return p;
  };
  const rvIp = lab.rendezvousIp;
  const relayIp = lab.rendezvousAltIp;
  const nodeAddr = { 'rv-a': `${rvIp}:7400`, 'rv-b': `${rvIp}:7410` } as const;
  const relayAddr = `${relayIp}:7500`;
  const redisUrl = 'redis://127.0.0.1:6379';
  const redisCli = (...args: string[]): string => {
    try {
      return inNs(lab.ns.rendezvous, 'redis-cli', ['-p', '6379', ...args]).trim();
    } catch {
      return '';
    }
  };

  const commands: CommandRecord[] = [];
  const watchLines: Array<{ at: number; e: Record<string, unknown> }> = [];
  const streamTries: Array<{ at: number; ok: boolean; error?: string }> = [];
  /** Home restarts: from the stop until the new home is up (its devices start afresh). */
  const homeBreaks: Array<[number, number]> = [];
  const faults: FaultResult[] = [];
  const t00 = Date.now();
  let stopCommands = false;
  let control: ControlClient | undefined;
  let sampler: NodeJS.Timeout | undefined;
  const cleanup: Array<() => void> = [];
  let browser: BrowserContext | undefined;
  let stopPhone = false;
  const chromiumRss = new TreeRss('chromium', (cmdline, pids) =>
    pids.find((pid) => {
      const c = cmdline(pid);
      return c.includes(`--user-data-dir=${join(dir, 'profile-')}`) && !c.includes('--type=');
    }),
  );
  /** The page's polls (every second) and the state changes it rendered. */
  const phoneSamples: Array<{ at: number; live: boolean; state: string; path: string }> = [];
  const phoneChanges: Array<{ at: number; state: string }> = [];
  const haRestartsMs: number[] = [];

  try {
    const homeDir = join(dir, 'home');
    const phoneDir = join(dir, 'phone');
    const probeDir = join(dir, 'probe');
    const init = json(
      await runClient(lab.ns.home, ['home', 'init', '--state', homeDir, '--json']),
    ) as { homeId?: string };
    const homeId = init.homeId;
    if (!homeId) throw new Error('home init gave no id');
    await runClient(lab.ns.client, ['client', 'init', '--state', phoneDir]);
    await runClient(lab.ns.client, ['client', 'init', '--state', probeDir]);

    const redis = proc(
      'redis',
      lab.ns.rendezvous,
      ['redis-server', '--port', '6379', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      'Ready to accept connections',
    );
    // The phone app is served by both nodes (the home names the app URL of the node it is on).
    const tls = o.phone ? selfSignedCert(dir, rvIp, 'porthole-soak') : undefined;
    const web = (id: 'rv-a' | 'rv-b'): string[] =>
      tls
        ? [
            ...['--web', `${rvIp}:${id === 'rv-a' ? 443 : 8443}`],
            ...['--tls-cert', tls.cert, '--tls-key', tls.key],
          ]
        : [];
    const rvNode = (id: 'rv-a' | 'rv-b'): Proc =>
      proc(
        id,
        lab.ns.rendezvous,
        node([
          'rendezvous',
          ...web(id),
          '--listen',
          nodeAddr[id],
          '--cluster',
          redisUrl,
          '--node-id',
          id,
          ...(withRelayNode ? ['--relay-node', relayAddr, '--relay-node-tcp', '7500'] : []),
        ]),
        'rendezvous listening',
      );
    const rvA = rvNode('rv-a');
    const rvB = rvNode('rv-b');
    const relay = withRelayNode
      ? proc(
          'relay',
          lab.ns.rendezvous,
          node(['relay', '--listen', relayAddr, '--tcp', '7500']),
          'relay listening',
        )
      : undefined;
    // Home Assistant (the cached venv) inside the home's namespace, on 127.0.0.1:8123 there.
    let ha: Proc | undefined;
    const haTokenFile = join(dir, 'ha-token');
    if (o.ha) {
      const v = spawnSync(process.execPath, [HA_VENV, '--json'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        timeout: 30 * 60_000,
      });
      if (v.status !== 0) throw new Error(`scripts/ha-venv.mjs failed (exit ${v.status})`);
      const { hass } = JSON.parse(v.stdout.trim().split('\n').pop() ?? '{}') as { hass: string };
      const haDir = join(dir, 'ha');
      const { writeHaConfig } = (await import(HA_VENV)) as {
        writeHaConfig: (dir: string, port: number) => void;
      };
      writeHaConfig(haDir, HA_PORT);
      ha = proc(
        'home-assistant',
        lab.ns.home,
        [hass, '-c', haDir, '--skip-pip'],
        '',
        undefined,
        () =>
          nsRun(
            lab.ns.home,
            [process.execPath, HA_JS, 'wait', String(HA_PORT), String(HA_START_BOUND_MS)],
            HA_START_BOUND_MS + 10_000,
          ).then(() => {}),
      );
      ha.stopMs = 30_000;
      say('soak: starting Home Assistant');
      await ha.start(HA_START_BOUND_MS + 10_000);
      await nsRun(
        lab.ns.home,
        [process.execPath, HA_JS, 'onboard', String(HA_PORT), haDir, haTokenFile],
        120_000,
      );
    }
    const home = proc(
      'home',
      lab.ns.home,
      node([
        'home',
        '--state',
        homeDir,
        '--rendezvous',
        `${nodeAddr['rv-a']},${nodeAddr['rv-b']}`,
        '--listen',
        '0.0.0.0:7401',
        '--keepalive',
        '1000',
        ...(o.ha ? ['--devices', `ha://127.0.0.1:${HA_PORT}`, '--ha-token-file', haTokenFile] : []),
      ]),
      'registered with rendezvous',
    );
    say(`soak: lab up, logs in ${dir}`);
    await redis.start();
    await Promise.all([rvA.start(), rvB.start(), ...(relay ? [relay.start()] : [])]);
    await home.start();

    const pair = async (stateDir: string): Promise<void> => {
      const code = json(
        await runClient(lab.ns.home, ['home', 'pair', '--state', homeDir, '--json']),
      ).code as string;
      const out = await runClient(lab.ns.client, [
        'client',
        'pair',
        code,
        '--state',
        stateDir,
        '--json',
      ]);
      if (!out.includes(homeId)) throw new Error(`pairing failed: ${out}`);
    };
    await pair(phoneDir);
    await pair(probeDir);
    const base = ['--state', phoneDir, '--home', homeId, '--json'];

    let echo: Proc | undefined;
    let forward: Proc | undefined;
    let prober: Proc | undefined;
    if (o.streams) {
      echo = proc('echo', lab.ns.home, [process.execPath, ECHO, 'serve', '7900'], 'echo listening');
      await echo.start();
      await runClient(lab.ns.home, [
        'home',
        'serve',
        'echo=127.0.0.1:7900',
        '--all-paired',
        '--state',
        homeDir,
      ]);
    }

    const agent = proc(
      'agent',
      lab.ns.client,
      node(['client', 'up', '--state', phoneDir]),
      'control socket',
    );
    await agent.start();
    const watch = proc(
      'watch',
      lab.ns.client,
      [process.execPath, BIN, 'client', 'watch', ...base],
      '"event":"path"',
      (l, at) => watchLines.push({ at, e: json(l) }),
    );
    await watch.start();
    const upBy = Date.now() + 30_000;
    while (!watchLines.some(({ e }) => e.event === 'path' && e.state === 'up') && Date.now() < upBy)
      await sleep(100);
    await sleep(500);

    // The phone web app in Chromium in the client's namespace: paired from the pairing URL.
    let page: Page | undefined;
    if (o.phone) {
      const { phoneBrowserIn } = await import('./phone.js');
      let url: string | undefined;
      for (let i = 0; i < 60 && !url; i++) {
        const code = json(
          await runClient(lab.ns.home, ['home', 'pair', '--state', homeDir, '--json']),
        );
        url = typeof code.url === 'string' ? code.url : undefined;
        if (!url) await sleep(500);
      }
      if (!url) throw new Error('home pair --json printed no "url" (no app URL announced)');
      browser = await phoneBrowserIn(lab.ns.client, dir);
      page = browser.pages()[0] ?? (await browser.newPage());
      await page.goto(url, { timeout: 60_000 });
      await page.getByTestId('phone-name').fill('soak phone');
      await page.getByTestId('pair').tap();
      const pg = page;
      try {
        await pg
          .locator(`[data-entity-id="${entity}"][data-stale="false"]`)
          .waitFor({ timeout: 60_000 });
        await pg.locator(PHONE_LIVE).first().waitFor({ timeout: 60_000 });
      } catch (e) {
        const text = await pg
          .locator('body')
          .innerText()
          .catch(() => '');
        throw new Error(
          `the phone page never showed ${entity} live: ${(e as Error).message.split('\n')[0]}; page: ${text.slice(0, 600)}`,
        );
      }
      say(
        `soak: phone paired in Chromium, path ${await page.locator('[data-path]').first().getAttribute('data-path')}`,
      );
    }
    if (o.streams) {
      forward = proc(
        'forward',
        lab.ns.client,
        node(['client', 'forward', '9100:echo', ...base]),
        '"listen"',
      );
      await forward.start();
      prober = proc(
        'stream-probe',
        lab.ns.client,
        [process.execPath, ECHO, 'probe', '9100', short ? '3000' : '5000'],
        '"at"',
        (l) => {
          const r = json(l);
          if (typeof r.at === 'number')
            streamTries.push({ at: r.at, ok: r.ok === true, error: r.error as string | undefined });
        },
      );
      await prober.start();
    }

    // The page: every state change it renders (a MutationObserver, installed by the first read,
    // before the commands start: a render it misses would be a command "not rendered"), and a
    // poll every second.
    type PageRead = {
      changes: Array<{ at: number; state: string }>;
      path: string;
      state: string | null;
    };
    const readPage = (pg: NonNullable<typeof page>): Promise<PageRead> =>
      pg.evaluate((id: string) => {
        type W = { __soak?: Array<{ at: number; state: string }>; __soakLast?: string };
        const w = window as unknown as W;
        const read = (): string | null =>
          document
            .querySelector(`[data-entity-id="${id}"][data-stale="false"]`)
            ?.getAttribute('data-state') ?? null;
        if (!w.__soak) {
          w.__soak = [];
          new MutationObserver(() => {
            const s = read();
            if (s !== null && s !== w.__soakLast) {
              w.__soakLast = s;
              w.__soak?.push({ at: Date.now(), state: s });
            }
          }).observe(document.body, { subtree: true, childList: true, attributes: true });
        }
        const changes = w.__soak.splice(0);
        const path = document.querySelector('[data-path]')?.getAttribute('data-path') ?? '-';
        return { changes, path, state: read() };
      }, entity);
    if (page) await readPage(page).catch(() => null);

    // One toggle per second through the agent's control socket, one at a time.
    control = await ControlClient.connect(agentSocket(phoneDir));
    const c = control;
    const first = await c.call(undefined, entity, { service: 'toggle' });
    say(`soak: agent up, kitchen ${first.state}; commands start`);
    const commandLoop = (async () => {
      let next = Date.now();
      for (let i = 0; !stopCommands; i++) {
        const wait = next - Date.now();
        if (wait > 0) await sleep(wait);
        next = Math.max(Date.now(), next) + 1000;
        const r: CommandRecord = { i, sent: Date.now(), end: 0 };
        commands.push(r);
        try {
          r.state = (await c.call(undefined, entity, { service: 'toggle' })).state;
        } catch (e) {
          r.error = (e as Error).message.slice(0, 300);
        }
        r.end = Date.now();
      }
    })();

    const phoneLoop = (async () => {
      if (!page) return;
      const pg = page;
      while (!stopPhone) {
        const at = Date.now();
        const r = await Promise.race([
          readPage(pg).catch(() => null),
          sleep(5000).then(() => null),
        ]);
        if (r) {
          phoneChanges.push(...r.changes);
          phoneSamples.push({
            at,
            live: (r.path === 'relayed' || r.path === 'direct') && r.state !== null,
            state: r.state ?? '-',
            path: r.path,
          });
        } else phoneSamples.push({ at, live: false, state: '-', path: 'no answer' });
        await sleep(Math.max(0, at + 1000 - Date.now()));
      }
    })();

    const sampleAll = (): void => {
      for (const p of procs) p.sample();
      if (page) chromiumRss.sample();
    };
    sampler = setInterval(sampleAll, sampleMs);
    await sleep(warmupMs);
    sampleAll();

    // --- probes
    const until = async (deadline: number, ok: () => boolean | Promise<boolean>) => {
      while (Date.now() < deadline) {
        if (await ok()) return Date.now();
        await sleep(200);
      }
      return null;
    };
    /** A counted command sent at or after t, applied, and its state shown by the watch. */
    const cmdSeen = (t: number): number | null => {
      for (const r of commands) {
        if (r.sent < t || r.state === undefined) continue;
        const seen = watchLines.find(
          ({ at, e }) => at >= r.sent && e.entity_id === entity && e.state === r.state,
        );
        if (seen) return seen.at;
      }
      return null;
    };
    const cmdProbe = async (t: number, deadline: number): Promise<number | null> => {
      const at = await until(deadline, () => cmdSeen(t) !== null);
      return at === null ? null : (cmdSeen(t) ?? at);
    };
    /** One fresh one-shot command of the second client; its log (info) goes to fresh.log. */
    const freshLog = createWriteStream(join(dir, 'fresh.log'), { flags: 'a' });
    cleanup.push(() => freshLog.end());
    let freshN = 0;
    const fresh = (args: string[], timeoutMs: number): Promise<string> =>
      new Promise((resolve) => {
        const n = ++freshN;
        const t0 = Date.now();
        const p = spawn('ip', ['netns', 'exec', lab.ns.client, ...node(args)], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
        p.stdout.on('data', (b: Buffer) => (out += b.toString()));
        p.stderr.on('data', (b: Buffer) => freshLog.write(`[${n}] ${b.toString()}`));
        p.on('exit', (code) => {
          clearTimeout(timer);
          const last = out.trim().split('\n').pop() ?? '';
          freshLog.write(
            `[${n}] ${new Date(t0).toISOString()} ${args.slice(1).join(' ')} → exit ${code} after ${Date.now() - t0} ms: ${last.slice(0, 200)}\n`,
          );
          resolve(last);
        });
      });
    /** Fresh one-shot `client get` of the second client (no agent), until one succeeds. */
    const freshProbe = async (deadline: number, extra: string[]): Promise<number | null> => {
      let done: number | null = null;
      const live = new Set<Promise<void>>();
      while (done === null && Date.now() < deadline) {
        if (live.size < 3) {
          const p = fresh(
            ['client', 'get', entity, '--state', probeDir, '--json', ...extra],
            Math.max(1000, deadline - Date.now()),
          ).then((out) => {
            if (typeof json(out).state === 'string' && done === null) done = Date.now();
          });
          const tracked = p.finally(() => live.delete(tracked));
          live.add(tracked);
        }
        await Promise.race([sleep(2000), ...live]);
      }
      await Promise.allSettled([...live]);
      return done;
    };
    const ownerNode = (): string | undefined => {
      const v = json(redisCli('GET', `ph:home:${homeId}`));
      return typeof v.n === 'string' ? v.n : undefined;
    };

    const record = (
      fault: FaultName,
      round: number,
      t0: number,
      probes: Record<string, number | null>,
      detail: string,
      bound = BOUNDS_MS[fault],
      extraOk = true,
    ): FaultResult => {
      const vals = Object.values(probes);
      const recoverMs = vals.some((v) => v === null) ? null : Math.max(0, ...(vals as number[]));
      const r: FaultResult = {
        fault,
        round,
        at: t0 - t00,
        boundMs: bound,
        probes,
        recoverMs,
        ok: recoverMs !== null && recoverMs <= bound && extraOk,
        detail,
      };
      faults.push(r);
      say(
        `soak: ${fault} (round ${round}) recovered in ${recoverMs ?? 'never'} ms (bound ${bound}) ${JSON.stringify(probes)} ${detail}`,
      );
      return r;
    };
    const rel = (v: number | null, t0: number): number | null => (v === null ? null : v - t0);

    /** The page live and a state change rendered at or after t: when that change showed. */
    const phoneProbe = async (t: number, deadline: number): Promise<number | null> => {
      const ok = (): number | null => {
        const c = phoneChanges.find((x) => x.at >= t);
        return c && phoneSamples.at(-1)?.live ? c.at : null;
      };
      const at = await until(deadline, () => ok() !== null);
      return at === null ? null : ok();
    };
    const inject = async (fault: FaultName, round: number): Promise<void> => {
      const n = faults.length;
      await injectOne(fault, round);
      const r = faults[n];
      if (!page || !r) return;
      const t = t00 + r.at;
      const bound = r.boundMs + PHONE_EXTRA_MS;
      const ms = rel(await phoneProbe(t, t + bound + giveUpMs), t);
      r.probes.phone = ms;
      const ok = ms !== null && ms <= bound;
      r.ok &&= ok;
      if (!ok) r.detail += `; phone ${ms ?? 'never'} ms > ${bound}`;
      say(
        `soak: ${fault} (round ${round}) phone live again in ${ms ?? 'never'} ms (bound ${bound})`,
      );
    };
    const injectOne = async (fault: FaultName, round: number): Promise<void> => {
      const t0 = Date.now();
      const deadline = t0 + BOUNDS_MS[fault] + giveUpMs;
      const clientRouter = lab.ns.clientNats.at(-1) as string;
      const homeRouter = lab.ns.homeNats.at(-1) as string;
      switch (fault) {
        case 'flush-client':
        case 'flush-home': {
          flush(fault === 'flush-client' ? clientRouter : homeRouter);
          record(fault, round, t0, { cmd: rel(await cmdProbe(t0, deadline), t0) }, '');
          return;
        }
        case 'wan-change': {
          const moved = moveWan(clientRouter);
          record(fault, round, t0, { cmd: rel(await cmdProbe(t0, deadline), t0) }, moved);
          return;
        }
        case 'rendezvous-restart': {
          await rvA.restart();
          const [cmd, fresh] = await Promise.all([
            cmdProbe(t0, deadline),
            freshProbe(deadline, []),
          ]);
          record(fault, round, t0, { cmd: rel(cmd, t0), fresh: rel(fresh, t0) }, 'rv-a');
          return;
        }
        case 'node-kill': {
          const owner = ownerNode() === 'rv-b' ? 'rv-b' : 'rv-a';
          const [dead, survivor] = owner === 'rv-a' ? [rvA, rvB] : [rvB, rvA];
          await dead.stop('SIGKILL');
          const [cmd, dirAt, fresh] = await Promise.all([
            cmdProbe(t0, deadline),
            until(deadline, () => ownerNode() === survivor.name),
            freshProbe(deadline, ['--rendezvous', nodeAddr[survivor.name as 'rv-a' | 'rv-b']]),
          ]);
          record(
            fault,
            round,
            t0,
            { cmd: rel(cmd, t0), directory: rel(dirAt, t0), fresh: rel(fresh, t0) },
            `killed ${dead.name} (held the home), fresh via ${survivor.name}`,
          );
          await sleep(deadMs);
          await dead.start();
          return;
        }
        case 'redis-restart': {
          const owner = ownerNode() ?? 'rv-a';
          const other = owner === 'rv-a' ? 'rv-b' : 'rv-a';
          await redis.stop('SIGTERM');
          await redis.start();
          const [cmd, fresh] = await Promise.all([
            cmdProbe(t0, deadline),
            freshProbe(deadline, ['--rendezvous', nodeAddr[other]]),
          ]);
          record(
            fault,
            round,
            t0,
            { cmd: rel(cmd, t0), fresh: rel(fresh, t0) },
            `fresh via ${other} (home on ${owner}): forwarded through Redis`,
          );
          return;
        }
        case 'relay-restart': {
          if (!relay) throw new Error('relay-restart needs the relay node');
          await relay.restart();
          const [cmd, fresh] = await Promise.all([
            cmdProbe(t0, deadline),
            freshProbe(deadline, ['--relay', 'only']),
          ]);
          record(fault, round, t0, { cmd: rel(cmd, t0), fresh: rel(fresh, t0) }, 'relayed');
          return;
        }
        case 'home-restart': {
          await home.restart();
          homeBreaks.push([t0, Date.now()]);
          const [cmd, fresh] = await Promise.all([
            cmdProbe(t0, deadline),
            freshProbe(deadline, []),
          ]);
          record(fault, round, t0, { cmd: rel(cmd, t0), fresh: rel(fresh, t0) }, '');
          return;
        }
        case 'loss-5pct': {
          const isps = [`${lab.prefix}-isph`, `${lab.prefix}-ispc`];
          const rules = `table inet phsoakloss {
  chain forward {
    type filter hook forward priority -50;
    meta l4proto udp numgen random mod 100 < 5 drop
  }
}`;
          for (const ns of isps) nft(ns, rules);
          const from = commands.length;
          await sleep(windowMs);
          for (const ns of isps) inNs(ns, 'nft', ['delete', 'table', 'inet', 'phsoakloss']);
          const t1 = Date.now();
          const during = commands.slice(from);
          const cmd = await cmdProbe(t1, t1 + BOUNDS_MS[fault] + giveUpMs);
          record(
            fault,
            round,
            t1,
            { cmd: rel(cmd, t1) },
            `window ${windowMs / 1000} s: ${during.filter((r) => r.state).length}/${during.length} applied during it`,
          );
          return;
        }
        case 'udp-blocked': {
          const rules = `table inet phsoakblock {
  chain forward {
    type filter hook forward priority -50;
    meta l4proto udp drop
  }
}`;
          nft(clientRouter, rules);
          const from = commands.length;
          const end = t0 + blockMs;
          const during = await cmdProbe(t0, Math.min(end, deadline));
          const wait = end - Date.now();
          if (wait > 0) await sleep(wait);
          inNs(clientRouter, 'nft', ['delete', 'table', 'inet', 'phsoakblock']);
          const t1 = Date.now();
          const after = await cmdProbe(t1, t1 + UDP_UNBLOCK_BOUND_MS + giveUpMs);
          const cmds = commands.slice(from).filter((r) => r.sent < t1);
          const afterMs = rel(after, t1);
          record(
            fault,
            round,
            t0,
            { whileBlocked: rel(during, t0) },
            `window ${blockMs / 1000} s: ${cmds.filter((r) => r.state).length}/${cmds.length} applied while blocked; after the block ${afterMs ?? 'never'} ms (bound ${UDP_UNBLOCK_BOUND_MS})`,
            BOUNDS_MS[fault],
            afterMs !== null && afterMs <= UDP_UNBLOCK_BOUND_MS,
          );
          return;
        }
        case 'ha-restart': {
          if (!ha) throw new Error('ha-restart needs --ha');
          let up: number | null = null;
          try {
            await ha.restart(HA_START_BOUND_MS);
            up = Date.now();
          } catch (e) {
            say(`soak: HA did not come back: ${(e as Error).message}`);
            await ha.restart(HA_START_BOUND_MS).catch(() => {});
          }
          // HA's demo starts its entities afresh: the chain of states restarts here.
          homeBreaks.push([t0, up ?? Date.now()]);
          if (up === null) {
            record(
              fault,
              round,
              t0,
              { cmd: null },
              `HA did not answer within ${HA_START_BOUND_MS} ms`,
            );
            return;
          }
          haRestartsMs.push(up - t0);
          const cmd = await cmdProbe(up, up + BOUNDS_MS[fault] + giveUpMs);
          record(
            fault,
            round,
            up,
            { cmd: rel(cmd, up) },
            `HA stopped and answering again in ${((up - t0) / 1000).toFixed(1)} s (bound ${HA_START_BOUND_MS / 1000}); recovery from then`,
          );
          return;
        }
      }
    };

    // --- the schedule: every fault in turn, round after round, until the time is up.
    const endAt = short ? 0 : t00 + totalMs - 2 * 60_000;
    let firstRoundEndAt: number | undefined;
    for (let round = 1; ; round++) {
      const schedule = (o.ha ? [...FAULTS, 'ha-restart' as const] : FAULTS).filter(
        (f) => withRelayNode || f !== 'relay-restart',
      );
      for (const f of o.only ?? schedule) {
        // HA restarts in odd rounds only: a round is ~8 min, so every other HA life spans two
        // rounds and its RSS is judged (≥ 10 min after its warm-up) in the hour.
        if (f === 'ha-restart' && !short && round % 2 === 0) continue;
        const need = BOUNDS_MS[f] + (f === 'loss-5pct' || f === 'udp-blocked' ? windowMs : 0);
        if (!short && Date.now() + need > endAt) break;
        const slot = Date.now() + slotMs;
        await inject(f, round);
        await sleep(short ? 2000 : Math.max(3000, slot - Date.now()));
      }
      if (round === 1 && !short) firstRoundEndAt = Date.now();
      if (short || Date.now() + slotMs > endAt) break;
    }
    if (!short) {
      const rest = t00 + totalMs - 30_000 - Date.now();
      if (rest > 0) await sleep(rest);
    } else await sleep(3000);
    stopCommands = true;
    await commandLoop;
    await sleep(1500);
    sampleAll();
    const final = await c
      .get(undefined, entity)
      .catch((e: Error) => ({ state: `error: ${e.message}` }));
    let phoneFinalOk = false;
    if (page) {
      const want = `[data-entity-id="${entity}"][data-state="${String(final.state)}"][data-stale="false"]`;
      phoneFinalOk = await page
        .locator(want)
        .waitFor({ timeout: 10_000 })
        .then(() => true)
        .catch(() => false);
      stopPhone = true;
      await phoneLoop;
    }
    c.close();
    control = undefined;
    clearInterval(sampler);
    sampler = undefined;

    // --- accounting
    writeFileSync(
      join(dir, 'commands.jsonl'),
      commands.map((r) => JSON.stringify({ ...r, t: r.sent - t00 })).join('\n') + '\n',
    );
    const applied = commands.filter((r) => r.state !== undefined);
    // "command not sent": the HA source refused it (HA unreachable), a definite not-applied.
    const refused = (r: CommandRecord): boolean =>
      /not applied|command not sent/.test(r.error ?? '');
    const notApplied = commands.filter(refused);
    const unknown = commands
      .filter((r) => r.state === undefined && !refused(r))
      .map((r) => `#${r.i} at ${((r.sent - t00) / 1000).toFixed(1)} s: ${r.error ?? 'no end'}`);
    // A home restart starts its devices afresh: the chain of states restarts there.
    const breakBetween = (a: CommandRecord, b: CommandRecord): boolean =>
      homeBreaks.some(([stop, up]) => up > a.sent && stop <= b.end);
    let doubled = 0;
    const doubledAt: string[] = [];
    for (let k = 1; k < applied.length; k++) {
      const [a, b] = [applied[k - 1] as CommandRecord, applied[k] as CommandRecord];
      if (a.state === b.state && !breakBetween(a, b)) {
        doubled++;
        doubledAt.push(`#${b.i}`);
      }
    }
    // The watch: each applied state shown — a line with that state whose last_changed (the
    // home's time of the change; same clock here) falls within the command's send → answer.
    const kitchen = watchLines.filter(({ e }) => e.entity_id === entity);
    const changedAt = (e: Record<string, unknown>): number =>
      typeof e.last_changed === 'string' ? Date.parse(e.last_changed) : NaN;
    let unseen = 0;
    const unseenAt: string[] = [];
    for (const r of applied) {
      const shown = kitchen.some(
        ({ e }) =>
          e.state === r.state && changedAt(e) >= r.sent - 1000 && changedAt(e) <= r.end + 1000,
      );
      if (!shown) {
        unseen++;
        unseenAt.push(`#${r.i}`);
      }
    }

    // The phone: each applied command answered while the page was live throughout its
    // sent-1 s … end+5 s must be rendered by the page, in order, within 5 s of the answer.
    let phone: SoakResult['phone'] = null;
    if (page) {
      const liveAround = (a: number, b: number): boolean => {
        const xs = phoneSamples.filter((x) => x.at >= a && x.at <= b);
        return xs.length > 0 && xs.every((x) => x.live);
      };
      // Aligned as a whole (lab/phone-renders.ts), judged where the page was live: each state
      // rendered within 5 s of its answer, or superseded by a newer one shown by then.
      const verdicts = judgeRenders(
        applied.map((r) => ({ state: r.state as string, sent: r.sent, end: r.end })),
        phoneChanges,
        5000,
      );
      let covered = 0;
      let superseded = 0;
      let unseenPhone = 0;
      const unseenPhoneAt: string[] = [];
      applied.forEach((r, i) => {
        if (!liveAround(r.sent - 1000, r.end + 5000)) return;
        covered++;
        const v = verdicts[i] as RenderVerdict;
        if (v.kind === 'superseded') superseded++;
        if (v.kind !== 'missed') return;
        unseenPhone++;
        // Which command, when (s into the run, as the faults' "at"), and what the page showed.
        const shown = phoneChanges.filter((y) => y.at >= r.sent - 1000 && y.at <= r.end + 5000);
        unseenPhoneAt.push(
          `#${r.i} ${r.state} at ${((r.sent - t00) / 1000).toFixed(1)} s (` +
            (v.render
              ? `rendered ${((v.render.at - r.end) / 1000).toFixed(1)} s after its answer; `
              : 'never rendered; ') +
            `the page showed ${shown.map((y) => y.state).join('→') || 'nothing'} around it)`,
        );
      });
      const longest = longestOutage(phoneSamples.map((x) => ({ at: x.at, ok: x.live })));
      phone = {
        changes: phoneChanges.length,
        covered,
        unseen: unseenPhone,
        superseded,
        unseenAt: unseenPhoneAt,
        samples: phoneSamples.length,
        liveSamples: phoneSamples.filter((x) => x.live).length,
        longestOutageMs: longest,
        finalOk: phoneFinalOk,
        path: [...new Set(phoneSamples.map((x) => x.path))].join(','),
      };
    }

    // What the page rendered and each poll of it, for a closer look at a miss (phone.jsonl).
    if (page)
      writeFileSync(
        join(dir, 'phone.jsonl'),
        [
          ...phoneChanges.map((x) => ({ render: x.state, t: x.at - t00 })),
          ...phoneSamples.map((x) => ({
            poll: x.path,
            live: x.live,
            state: x.state,
            t: x.at - t00,
          })),
        ]
          .sort((a, b) => a.t - b.t)
          .map((x) => JSON.stringify(x))
          .join('\n') + '\n',
      );
    // Every RSS sample of every process life, for a closer look (rss.jsonl in the log dir).
    writeFileSync(
      join(dir, 'rss.jsonl'),
      [...procs, ...chromiumRss.rows()]
        .flatMap((p) => p.lives.map((l) => JSON.stringify({ name: p.name, ...l })))
        .join('\n') + '\n',
    );
    const rss: RssRow[] = [];
    // Warm-up of a process life (docs/soak.md "Memory", written before the hour's run of
    // 2026-12-04 session 20): 5 min after its start (or the run's commands-only warm-up in runs
    // under 30 min) and not before the end of the first full round of faults, when every
    // process has run each fault's code paths once. Judged when it lived this long after that:
    // 10 min, or half the rest of a shorter run.
    const rssWarmAt = firstRoundEndAt ?? t00 + warmupMs;
    const judgeSpanMs = short ? Infinity : Math.min(10 * 60_000, (t00 + totalMs - rssWarmAt) / 2);
    for (const p of [...procs, ...chromiumRss.rows()]) {
      for (const life of p.lives) {
        const warmAt = Math.max(life.startedAt + warmupMs, rssWarmAt);
        const after = life.rss.filter((x) => x.at >= warmAt);
        const first = after[0];
        const last = after.at(-1);
        if (!first || !last || last.at <= first.at) continue;
        // Each end: the median of its samples over MEM_END_WINDOW_MS (a GC's ±1-2 MiB swing).
        const win = Math.min(MEM_END_WINDOW_MS, (last.at - first.at) / 4);
        const head = after.filter((x) => x.at <= first.at + win);
        const tail = after.filter((x) => x.at >= last.at - win);
        const ends = (f: (x: Sample) => number | undefined): [number, number] | undefined => {
          const a = median(head.map(f));
          const b = median(tail.map(f));
          return a === undefined || b === undefined ? undefined : [a, b];
        };
        const [startKb, endKb] = ends((x) => x.kb) as [number, number];
        const anonEnds = ends((x) => x.anonKb);
        const fileEnds = ends((x) => x.fileKb);
        const heap = memProbe ? memRow(memDir, life, first.at, last.at) : undefined;
        rss.push({
          name: p.name,
          pid: life.pid,
          startKb,
          endKb,
          spanMin: Math.round(((last.at - first.at) / 60_000) * 10) / 10,
          growth: ratio(startKb, endKb),
          // The soak's own echo server and prober are instruments, printed but not judged.
          judged: last.at - first.at >= judgeSpanMs && !INSTRUMENTS.includes(p.name),
          ...(anonEnds
            ? {
                anonStartKb: anonEnds[0],
                anonEndKb: anonEnds[1],
                anonGrowth: ratio(anonEnds[0], anonEnds[1]),
              }
            : {}),
          ...(fileEnds ? { fileStartKb: fileEnds[0], fileEndKb: fileEnds[1] } : {}),
          ...(heap ? { heap } : {}),
        });
      }
    }
    const crashes = procs.flatMap((p) => p.crashes);
    await browser?.close().catch(() => {});
    browser = undefined;
    // Clients and probes first (a probe must not try a service whose home already stopped).
    for (const p of [...procs].reverse()) await p.stop('SIGTERM');
    for (const p of procs) p.close();
    await sleep(300);
    const logProblems: string[] = [];
    for (const p of procs) {
      const text = readFileSync(p.logPath, 'utf8');
      for (const line of text.split('\n'))
        if (LOG_PROBLEM.test(line)) logProblems.push(`${p.name}: ${line.slice(0, 300)}`);
    }
    let stream: SoakResult['stream'] = null;
    if (o.streams) {
      const longest = longestOutage(streamTries);
      stream = {
        tries: streamTries.length,
        ok: streamTries.filter((s) => s.ok).length,
        longestOutageMs: longest,
        lastOk: streamTries.at(-1)?.ok ?? false,
      };
    }
    const paths = watchLines
      .filter(({ e }) => e.event === 'path' && typeof e.path === 'string')
      .map(({ e }) => String(e.path))
      .filter((p, i, xs) => i === 0 || xs[i - 1] !== p);

    const missed: string[] = [];
    if (unknown.length) missed.push(`${unknown.length} commands with an unknown outcome`);
    if (doubled)
      missed.push(`${doubled} answers repeated the previous state (${doubledAt.join(' ')})`);
    if (unseen)
      missed.push(`${unseen} applied states not shown by the watch (${unseenAt.join(' ')})`);
    if (final.state !== applied.at(-1)?.state)
      missed.push(`final state ${final.state} ≠ last answer ${applied.at(-1)?.state}`);
    for (const f of faults)
      if (!f.ok)
        missed.push(
          `${f.fault} (round ${f.round}): ${f.recoverMs ?? 'never'} ms (bound ${f.boundMs})${'phone' in f.probes ? `, phone ${f.probes.phone ?? 'never'} ms (bound ${f.boundMs + PHONE_EXTRA_MS})` : ''}`,
        );
    for (const r of rss) {
      if (r.judged && r.growth >= RSS_GROWTH_BOUND)
        missed.push(
          `${r.name} RSS +${(r.growth * 100).toFixed(1)}% (${r.startKb} → ${r.endKb} KiB)`,
        );
      if (r.judged && r.heap?.gc && r.heap.heapGrowth >= HEAP_GROWTH_BOUND)
        missed.push(
          `${r.name} live heap +${(r.heap.heapGrowth * 100).toFixed(1)}% (${r.heap.heapStartKb} → ${r.heap.heapEndKb} KiB)`,
        );
    }
    if (crashes.length) missed.push(...crashes);
    if (logProblems.length) missed.push(`${logProblems.length} unhandled-error lines in the logs`);
    if (stream && !stream.lastOk) missed.push('the forwarded stream did not work at the end');
    if (phone && phone.unseen)
      missed.push(
        `${phone.unseen} of ${phone.covered} applied states not rendered (nor a newer one) within 5 s by the live phone page: ${phone.unseenAt.slice(0, 12).join('; ')}`,
      );
    if (phone && !phone.finalOk) missed.push('the phone page did not show the final state live');

    return {
      minutes: Math.round(((Date.now() - t00) / 60_000) * 10) / 10,
      short,
      commands: commands.length,
      applied: applied.length,
      notApplied: notApplied.length,
      unknown,
      doubled,
      unseen,
      slowestMs: Math.max(0, ...commands.map((r) => r.end - r.sent)),
      finalState: String(final.state),
      faults,
      rss,
      crashes,
      logProblems: logProblems.slice(0, 20),
      stream,
      phone,
      ha: o.ha ? { entity, restartsMs: haRestartsMs } : null,
      paths,
      missed,
      logDir: dir,
    };
  } finally {
    stopCommands = true;
    stopPhone = true;
    await browser?.close().catch(() => {});
    control?.close();
    if (sampler) clearInterval(sampler);
    for (const f of cleanup) f();
    for (const p of procs) {
      p.child?.kill('SIGKILL');
      p.close();
    }
    spawnSync('sleep', ['0.3']);
    lab.teardown();
  }
}

export function soakTable(r: SoakResult): string {
  const s = (ms: number | null): string => (ms === null ? 'never' : (ms / 1000).toFixed(1));
  const lines = [
    `soak: ${r.minutes} min${r.short ? ' (short)' : ''}; logs ${r.logDir}`,
    `commands ${r.commands}: applied ${r.applied}, not applied ${r.notApplied}, unknown ${r.unknown.length}, doubled ${r.doubled}, unseen by the watch ${r.unseen}; slowest ${s(r.slowestMs)} s; final ${r.finalState}`,
    `paths seen by the watch: ${r.paths.join(' → ')}`,
    '',
    'fault               round  at (s)  bound (s)  recovered (s)  ok   probes / detail',
  ];
  for (const f of r.faults) {
    const probes = Object.entries(f.probes)
      .map(([k, v]) => `${k} ${s(v)}`)
      .join(', ');
    lines.push(
      `${f.fault.padEnd(20)}${String(f.round).padStart(5)}${(f.at / 1000).toFixed(0).padStart(8)}${s(f.boundMs).padStart(11)}${s(f.recoverMs).padStart(15)}  ${f.ok ? 'yes' : 'NO '}  ${probes}${f.detail ? `; ${f.detail}` : ''}`,
    );
  }
  const m = (kb: number | undefined): string => (kb === undefined ? '-' : (kb / 1024).toFixed(1));
  const pct = (g: number | undefined): string =>
    g === undefined ? '' : `${g >= 0 ? '+' : ''}${(g * 100).toFixed(1)}%`;
  const probe = r.rss.find((x) => x.heap)?.heap;
  lines.push(
    '',
    `memory per process life, MiB: after warm-up → at the end (each the median over ${MEM_END_WINDOW_MS / 60_000} min; bounds RSS +${RSS_GROWTH_BOUND * 100}%, live heap +${HEAP_GROWTH_BOUND * 100}%)`,
    `  RSS = VmRSS = anon (private) + file (the node binary's pages, shared)${probe ? `; heap = ${probe.gc ? 'live heap after a full GC' : 'heapUsed (passive probe: not the live heap)'}, code = V8 code + bytecode` : ''}`,
    'process               pid  span(min)  RSS                     anon               file          heap                     code        judged',
  );
  for (const x of r.rss) {
    const h = x.heap;
    const verdict = x.judged
      ? x.growth < RSS_GROWTH_BOUND && !(h?.gc && h.heapGrowth >= HEAP_GROWTH_BOUND)
        ? 'yes: ok'
        : 'yes: OVER'
      : INSTRUMENTS.includes(x.name)
        ? 'no (soak helper)'
        : 'no (short-lived)';
    lines.push(
      [
        x.name.padEnd(18),
        String(x.pid).padStart(7),
        String(x.spanMin).padStart(7),
        `  ${m(x.startKb)} → ${m(x.endKb)} ${pct(x.growth)}`.padEnd(26),
        `${m(x.anonStartKb)} → ${m(x.anonEndKb)} ${pct(x.anonGrowth)}`.padEnd(19),
        `${m(x.fileStartKb)} → ${m(x.fileEndKb)}`.padEnd(13),
        h
          ? `${m(h.heapStartKb)} → ${m(h.heapEndKb)} ${pct(h.heapGrowth)}`.padEnd(24)
          : '-'.padEnd(24),
        h ? `${m(h.codeStartKb)} → ${m(h.codeEndKb)}`.padEnd(11) : '-'.padEnd(11),
        verdict,
      ].join(' '),
    );
  }
  if (r.stream)
    lines.push(
      '',
      `forwarded stream: ${r.stream.ok}/${r.stream.tries} echoes ok, longest outage ${s(r.stream.longestOutageMs)} s, last ${r.stream.lastOk ? 'ok' : 'FAILED'}`,
    );
  if (r.phone)
    lines.push(
      `phone page (Chromium): live in ${r.phone.liveSamples}/${r.phone.samples} polls (paths ${r.phone.path}), longest outage ${s(r.phone.longestOutageMs)} s; rendered ${r.phone.changes} state changes; ${r.phone.covered - r.phone.unseen}/${r.phone.covered} applied while live shown in order within 5 s (${r.phone.superseded} of them superseded by a newer state); final state ${r.phone.finalOk ? 'shown' : 'NOT shown'}`,
    );
  if (r.ha)
    lines.push(
      `Home Assistant source: ${r.ha.entity}; restarts answered HTTP in ${r.ha.restartsMs.map((m) => s(m)).join(', ') || '-'} s`,
    );
  lines.push(`crashes: ${r.crashes.length ? r.crashes.join('; ') : 'none'}`);
  lines.push(`log problems: ${r.logProblems.length ? r.logProblems.join('\n  ') : 'none'}`);
  if (r.unknown.length) lines.push(`unknown outcomes:\n  ${r.unknown.slice(0, 10).join('\n  ')}`);
  lines.push(r.missed.length ? `TARGETS MISSED:\n  ${r.missed.join('\n  ')}` : 'all targets met');
  return lines.join('\n');
}

const SOAK_USAGE = `usage: npm run soak [-- options]   (as root: it builds the kernel-NAT lab; docs/soak.md)
  --minutes 60      how long the commands and faults run (at least 5)
  --short           the CI mode: every fault once, ~2 min
  --faults A,B      only these faults (${[...FAULTS, 'ha-restart'].join(', ')})
  --ha / --no-ha    Home Assistant as the home's device source (on, except in --short)
  --phone           the phone app in Chromium as a counted session
  --no-relay-node   each cluster node relays itself (no relay-restart fault)
  --no-streams      no forwarded stream
  --no-mem-probe    no memory probe (default: every Node process GCs and logs its memory every
                    30 s, so the report gives the live heap beside the RSS; SIGUSR2 → heap snapshot)
  --mem-probe-passive  the probe's samples without the GC (production behaviour; not the live heap)
  --json            the report as its JSON line only (without: the table, then that line)`;

/** The longest run of failed samples (ms), one still failing counted up to now. */
function longestOutage(samples: readonly { at: number; ok: boolean }[]): number {
  let longest = 0;
  let downSince: number | null = null;
  for (const x of samples) {
    if (!x.ok && downSince === null) downSince = x.at;
    if (x.ok && downSince !== null) {
      longest = Math.max(longest, x.at - downSince);
      downSince = null;
    }
  }
  return downSince === null ? longest : Math.max(longest, Date.now() - downSince);
}

async function main(): Promise<void> {
  const values = parseOptions(
    {
      minutes: { type: 'string', default: '60' },
      short: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'no-streams': { type: 'boolean', default: false },
      // Home Assistant: on by default in the timed soak, opt-in (--ha) in --short (HA's start-up
      // in the CI run). The phone in Chromium: opt-in (--phone), see docs/soak.md.
      phone: { type: 'boolean' },
      'no-phone': { type: 'boolean', default: false },
      ha: { type: 'boolean' },
      'no-ha': { type: 'boolean', default: false },
      'no-relay-node': { type: 'boolean', default: false },
      'no-mem-probe': { type: 'boolean', default: false },
      'mem-probe-passive': { type: 'boolean', default: false },
      faults: { type: 'string' },
    },
    SOAK_USAGE,
  );
  const minutes = Number(values.minutes);
  if (!values.short && !(minutes >= 5)) throw new Error('--minutes must be at least 5');
  checkLabPrerequisites();
  // The phone is opt-in (Chromium's start and memory); its page's node bridges its session to the
  // relay node or the owner node (src/relay/bridge.ts, docs/soak.md).
  const phone = !values['no-phone'] && (values.phone ?? false);
  const ha = !values['no-ha'] && (values.ha ?? !values.short);
  const all: readonly FaultName[] = [...FAULTS, 'ha-restart'];
  const only = values.faults?.split(',').map((f) => {
    if (!(all as readonly string[]).includes(f))
      throw new Error(`unknown fault ${f} (${all.join(', ')})`);
    if (f === 'ha-restart' && !ha) throw new Error('ha-restart needs --ha');
    return f as FaultName;
  });
  const r = await runSoak({
    minutes,
    short: values.short,
    streams: !values['no-streams'],
    phone,
    ha,
    relayNode: !values['no-relay-node'],
    memProbe: values['no-mem-probe'] ? false : values['mem-probe-passive'] ? 'passive' : true,
    ...(only ? { only } : {}),
  });
  if (!values.json) process.stdout.write(soakTable(r) + '\n');
  process.stdout.write(JSON.stringify({ soak: r }) + '\n');
  process.exitCode = r.missed.length ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: Error) => {
    process.stderr.write(`soak: ${e.stack ?? e.message}\n`);
    process.exit(2);
  });
}
