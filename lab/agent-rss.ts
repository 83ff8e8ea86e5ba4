// The client agent's memory under load, on loopback (issue 21: the soak saw the agent's RSS grow
// 12.7 % in 44 min). A rendezvous, a home and `client up` as real processes; a watch and
// `light.kitchen toggle` at `--rate` per second through the agent's control socket (what
// `client set` sends) for `--minutes`. The agent runs with a preload that prints
// process.memoryUsage() every 10 s (after a GC when --expose-gc works) and writes a heap
// snapshot on SIGUSR2 (`--heapsnapshot-signal`, taken after warm-up and at the end into --dir).
// Prints one line per sample and a {"agentRss":…} summary.
//   node dist/lab/agent-rss.js [--minutes 6] [--rate 10] [--dir /tmp/x]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { agentSocket } from '../src/cli/client-up-cmd.js';
import { ControlClient } from '../src/client/agent/control-client.js';

const BIN = fileURLToPath(new URL('../../bin/porthole.js', import.meta.url));
const arg = (name: string, d: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? d) : d;
};
const minutes = Number(arg('minutes', '6'));
const rate = Number(arg('rate', '10'));
/** Restart the home every N s (0: never): each costs the agent a reconnect. */
const restartEvery = Number(arg('restart-home', '0'));
/** Off: no forced GC before each sample, no heap snapshots (RSS as in production). */
const probe = !process.argv.includes('--plain');
const dir = arg('dir', '') || mkdtempSync(join(tmpdir(), 'porthole-agent-rss-'));
mkdirSync(dir, { recursive: true });
const procs: ChildProcess[] = [];

const cli = (args: string[]): string => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const start = (args: string[], ready: string, env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, '--log-level', 'info', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
      cwd: dir,
    });
    procs.push(p);
    const t = setTimeout(() => reject(new Error(`${args[0]} not ready`)), 20_000);
    const on = (d: Buffer): void => {
      const s = d.toString();
      if (s.includes('"mem"')) for (const l of s.split('\n')) if (l.includes('"mem"')) onMem(l);
      if (s.includes(ready)) {
        clearTimeout(t);
        resolve(p);
      }
    };
    p.stdout.on('data', on);
    p.stderr.on('data', on);
  });

const samples: { s: number; rss: number; heapUsed: number; external: number }[] = [];
const t0 = Date.now();
function onMem(line: string): void {
  try {
    const m = (JSON.parse(line) as { mem: NodeJS.MemoryUsage }).mem;
    const mib = (b: number): number => Math.round((b / 1048576) * 10) / 10;
    const s = {
      s: Math.round((Date.now() - t0) / 1000),
      rss: mib(m.rss),
      heapUsed: mib(m.heapUsed),
      external: mib(m.external),
    };
    samples.push(s);
    console.log(
      `# t=${s.s}s rss ${s.rss} MiB heapUsed ${s.heapUsed} MiB external ${s.external} MiB`,
    );
  } catch {
    // not ours
  }
}

const preload = join(dir, 'mem.cjs');
writeFileSync(
  preload,
  `setInterval(() => { if (global.gc) global.gc(); process.stderr.write(JSON.stringify({ mem: process.memoryUsage() }) + '\\n'); }, 10000).unref();\n`,
);

try {
  const home = join(dir, 'home');
  const phone = join(dir, 'phone');
  cli(['home', 'init', '--state', home, '--json']);
  const rv = '127.0.0.2:27990';
  await start(['rendezvous', '--listen', rv], 'rendezvous listening');
  const homeArgs = ['home', '--state', home, '--rendezvous', rv, '--listen', '127.0.0.3:27991'];
  let homeProc = await start(homeArgs, 'registered with rendezvous');
  cli(['client', 'init', '--state', phone]);
  const code = (JSON.parse(cli(['home', 'pair', '--state', home, '--json'])) as { code: string })
    .code;
  cli(['client', 'pair', code, '--state', phone, '--bind', '127.0.0.4']);
  const agent = await start(
    ['client', 'up', '--state', phone, '--bind', '127.0.0.4', '--sockets', '20'],
    'control socket',
    {
      NODE_OPTIONS: probe
        ? `--require ${preload} --expose-gc --heapsnapshot-signal=SIGUSR2`
        : `--require ${preload}`,
    },
  );
  const control = await ControlClient.connect(agentSocket(phone));
  let pushes = 0;
  const watcher = await ControlClient.connect(agentSocket(phone));
  await watcher.watch(undefined, () => pushes++);
  let sent = 0;
  let failed = 0;
  const end = t0 + minutes * 60_000;
  let snapped = false;
  let restarts = 0;
  let lastRestart = Date.now();
  while (Date.now() < end) {
    if (restartEvery > 0 && Date.now() - lastRestart > restartEvery * 1000) {
      homeProc.kill('SIGTERM');
      await new Promise((r) => homeProc.once('exit', r));
      homeProc = await start(homeArgs, 'registered with rendezvous');
      lastRestart = Date.now();
      restarts++;
    }
    const began = Date.now();
    try {
      await control.call(undefined, 'light.kitchen', { service: 'toggle' });
    } catch {
      failed++;
    }
    sent++;
    if (probe && !snapped && Date.now() - t0 > 90_000) {
      snapped = true;
      agent.kill('SIGUSR2'); // after warm-up
    }
    const wait = 1000 / rate - (Date.now() - began);
    if (wait > 0) await sleep(wait);
  }
  const st = (await control.status())[0];
  if (probe) agent.kill('SIGUSR2');
  await sleep(3000);
  control.close();
  watcher.close();
  const warm = samples.find((s) => s.s >= 90);
  const last = samples.at(-1);
  console.log(
    JSON.stringify({
      agentRss: {
        dir,
        sent,
        failed,
        pushes,
        restarts,
        reconnects: st?.reconnects,
        warm,
        last,
        samples: samples.length,
      },
    }),
  );
} finally {
  for (const p of procs) p.kill('SIGTERM');
}
