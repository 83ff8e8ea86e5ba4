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
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
  type WriteStream,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { agentSocket } from '../src/cli/client-up-cmd.js';
import { ControlClient } from '../src/client/agent/control-client.js';
import { checkLabPrerequisites, inNs, nft } from './netns.js';
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
  | 'udp-blocked';

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
};
/** UDP blocked: commands must also work again this soon after the block is lifted. */
export const UDP_UNBLOCK_BOUND_MS = 10_000;
/** RSS growth bound, after warm-up, for processes that lived long enough to judge. */
export const RSS_GROWTH_BOUND = 0.1;

export interface SoakOptions {
  minutes: number;
  short: boolean;
  streams: boolean;
  /** Only these faults (default: all, in the order of FAULTS). */
  only?: readonly FaultName[];
  /** Progress lines (stderr by default). */
  progress?: (line: string) => void;
}

interface Sample {
  at: number;
  kb: number;
}
interface Incarnation {
  pid: number;
  startedAt: number;
  rss: Sample[];
}

/** A long-running process in a lab namespace: output to its log file, restarts, RSS samples. */
class Proc {
  child: ChildProcess | undefined;
  readonly lives: Incarnation[] = [];
  readonly crashes: string[] = [];
  private stopping = false;
  private readonly log: WriteStream;
  constructor(
    readonly name: string,
    readonly ns: string,
    readonly argv: string[],
    readonly ready: string,
    readonly logPath: string,
    private readonly onLine?: (line: string, at: number) => void,
  ) {
    this.log = createWriteStream(logPath, { flags: 'a' });
  }

  start(timeoutMs = 30_000): Promise<void> {
    this.stopping = false;
    const p = spawn('ip', ['netns', 'exec', this.ns, ...this.argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
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
      const seen = (b: Buffer): void => {
        this.log.write(b);
        if (settled) return;
        buf = (buf + b.toString()).slice(-8000);
        if (buf.includes(this.ready)) {
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
    const t = setTimeout(() => p.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
  }

  async restart(): Promise<void> {
    await this.stop('SIGTERM');
    await this.start();
  }

  sample(): void {
    const life = this.lives.at(-1);
    if (!life || !this.child || this.child.exitCode !== null) return;
    try {
      const st = readFileSync(`/proc/${life.pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(st)?.[1] ?? NaN);
      if (Number.isFinite(kb)) life.rss.push({ at: Date.now(), kb });
    } catch {
      // gone between the check and the read
    }
  }

  close(): void {
    this.log.end();
  }
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

/** The soak's own helpers (lab/soak-echo.ts): their RSS is printed, not judged. */
const INSTRUMENTS = ['echo', 'stream-probe'];

const LOG_PROBLEM =
  /unhandled ?rejection|uncaught ?exception|unhandledRejection|uncaughtException|FATAL ERROR|heap out of memory|Segmentation fault|"level":60|triggerUncaughtException|^Node\.js v\d/i;

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const say = o.progress ?? ((l: string) => process.stderr.write(l + '\n'));
  const short = o.short;
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
  ): Proc => {
    const p = new Proc(name, ns, argv, ready, join(dir, `${name}.log`), onLine);
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
    const rvNode = (id: 'rv-a' | 'rv-b'): Proc =>
      proc(
        id,
        lab.ns.rendezvous,
        node([
          'rendezvous',
          '--listen',
          nodeAddr[id],
          '--cluster',
          redisUrl,
          '--node-id',
          id,
          '--relay-node',
          relayAddr,
          '--relay-node-tcp',
          '7500',
        ]),
        'rendezvous listening',
      );
    const rvA = rvNode('rv-a');
    const rvB = rvNode('rv-b');
    const relay = proc(
      'relay',
      lab.ns.rendezvous,
      node(['relay', '--listen', relayAddr, '--tcp', '7500']),
      'relay listening',
    );
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
      ]),
      'registered with rendezvous',
    );
    say(`soak: lab up, logs in ${dir}`);
    await redis.start();
    await Promise.all([rvA.start(), rvB.start(), relay.start()]);
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

    // One toggle per second through the agent's control socket, one at a time.
    control = await ControlClient.connect(agentSocket(phoneDir));
    const c = control;
    const first = await c.call(undefined, 'light.kitchen', { service: 'toggle' });
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
          r.state = (await c.call(undefined, 'light.kitchen', { service: 'toggle' })).state;
        } catch (e) {
          r.error = (e as Error).message.slice(0, 300);
        }
        r.end = Date.now();
      }
    })();

    sampler = setInterval(() => {
      for (const p of procs) p.sample();
    }, sampleMs);
    await sleep(warmupMs);
    for (const p of procs) p.sample();

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
          ({ at, e }) => at >= r.sent && e.entity_id === 'light.kitchen' && e.state === r.state,
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
            ['client', 'get', 'light.kitchen', '--state', probeDir, '--json', ...extra],
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

    const inject = async (fault: FaultName, round: number): Promise<void> => {
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
      }
    };

    // --- the schedule: every fault in turn, round after round, until the time is up.
    const endAt = short ? 0 : t00 + totalMs - 2 * 60_000;
    for (let round = 1; ; round++) {
      for (const f of o.only ?? FAULTS) {
        const need = BOUNDS_MS[f] + (f === 'loss-5pct' || f === 'udp-blocked' ? windowMs : 0);
        if (!short && Date.now() + need > endAt) break;
        const slot = Date.now() + slotMs;
        await inject(f, round);
        await sleep(short ? 2000 : Math.max(3000, slot - Date.now()));
      }
      if (short || Date.now() + slotMs > endAt) break;
    }
    if (!short) {
      const rest = t00 + totalMs - 30_000 - Date.now();
      if (rest > 0) await sleep(rest);
    } else await sleep(3000);
    stopCommands = true;
    await commandLoop;
    await sleep(1500);
    for (const p of procs) p.sample();
    const final = await c
      .get(undefined, 'light.kitchen')
      .catch((e: Error) => ({ state: `error: ${e.message}` }));
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
    const notApplied = commands.filter((r) => r.error?.includes('not applied'));
    const unknown = commands
      .filter((r) => r.state === undefined && !r.error?.includes('not applied'))
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
    const kitchen = watchLines.filter(({ e }) => e.entity_id === 'light.kitchen');
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

    const rss: RssRow[] = [];
    const judgeSpanMs = short ? Infinity : 10 * 60_000;
    for (const p of procs) {
      for (const life of p.lives) {
        const warm = life.rss.find(
          (s) => s.at >= Math.max(life.startedAt + warmupMs, t00 + warmupMs),
        );
        const last = life.rss.at(-1);
        if (!warm || !last || last.at <= warm.at) continue;
        const growth = (last.kb - warm.kb) / warm.kb;
        rss.push({
          name: p.name,
          pid: life.pid,
          startKb: warm.kb,
          endKb: last.kb,
          spanMin: Math.round(((last.at - warm.at) / 60_000) * 10) / 10,
          growth: Math.round(growth * 1000) / 1000,
          // The soak's own echo server and prober are instruments, printed but not judged.
          judged: last.at - warm.at >= judgeSpanMs && !INSTRUMENTS.includes(p.name),
        });
      }
    }
    const crashes = procs.flatMap((p) => p.crashes);
    for (const p of procs) await p.stop('SIGTERM');
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
      let longest = 0;
      let downSince: number | null = null;
      for (const s of streamTries) {
        if (!s.ok && downSince === null) downSince = s.at;
        if (s.ok && downSince !== null) {
          longest = Math.max(longest, s.at - downSince);
          downSince = null;
        }
      }
      if (downSince !== null) longest = Math.max(longest, Date.now() - downSince);
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
        missed.push(`${f.fault} (round ${f.round}): ${f.recoverMs ?? 'never'} ms > ${f.boundMs}`);
    for (const r of rss)
      if (r.judged && r.growth >= RSS_GROWTH_BOUND)
        missed.push(
          `${r.name} RSS +${(r.growth * 100).toFixed(1)}% (${r.startKb} → ${r.endKb} KiB)`,
        );
    if (crashes.length) missed.push(...crashes);
    if (logProblems.length) missed.push(`${logProblems.length} unhandled-error lines in the logs`);
    if (stream && !stream.lastOk) missed.push('the forwarded stream did not work at the end');

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
      paths,
      missed,
      logDir: dir,
    };
  } finally {
    stopCommands = true;
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
  lines.push(
    '',
    'process          pid     RSS after warm-up  RSS at end  growth   over (min)  judged',
  );
  for (const x of r.rss)
    lines.push(
      `${x.name.padEnd(16)}${String(x.pid).padStart(6)}${`${(x.startKb / 1024).toFixed(1)} MiB`.padStart(19)}${`${(x.endKb / 1024).toFixed(1)} MiB`.padStart(12)}${`${(x.growth * 100).toFixed(1)}%`.padStart(8)}${String(x.spanMin).padStart(12)}  ${x.judged ? 'yes' : INSTRUMENTS.includes(x.name) ? 'no (soak helper)' : 'no (short-lived)'}`,
    );
  if (r.stream)
    lines.push(
      '',
      `forwarded stream: ${r.stream.ok}/${r.stream.tries} echoes ok, longest outage ${s(r.stream.longestOutageMs)} s, last ${r.stream.lastOk ? 'ok' : 'FAILED'}`,
    );
  lines.push(`crashes: ${r.crashes.length ? r.crashes.join('; ') : 'none'}`);
  lines.push(`log problems: ${r.logProblems.length ? r.logProblems.join('\n  ') : 'none'}`);
  if (r.unknown.length) lines.push(`unknown outcomes:\n  ${r.unknown.slice(0, 10).join('\n  ')}`);
  lines.push(r.missed.length ? `TARGETS MISSED:\n  ${r.missed.join('\n  ')}` : 'all targets met');
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '60' },
      short: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'no-streams': { type: 'boolean', default: false },
      faults: { type: 'string' },
    },
  });
  const minutes = Number(values.minutes);
  if (!values.short && !(minutes >= 5)) throw new Error('--minutes must be at least 5');
  checkLabPrerequisites();
  const only = values.faults?.split(',').map((f) => {
    if (!(FAULTS as readonly string[]).includes(f))
      throw new Error(`unknown fault ${f} (${FAULTS.join(', ')})`);
    return f as FaultName;
  });
  const r = await runSoak({
    minutes,
    short: values.short,
    streams: !values['no-streams'],
    ...(only ? { only } : {}),
  });
  process.stdout.write(soakTable(r) + '\n');
  process.stdout.write(JSON.stringify({ soak: r }) + '\n');
  process.exitCode = r.missed.length ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: Error) => {
    process.stderr.write(`soak: ${e.stack ?? e.message}\n`);
    process.exit(2);
  });
}
