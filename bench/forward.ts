// `npm run bench:forward [-- --loss 0,1,2,5 --size MIB --rtt MS --mbit N --parallel N --idle N
//  --repeat R --only a,b --json]` (issue 19). Needs root (the kernel-NAT lab).
//
// One lab (port-restricted home and client routers), the home's WAN shaped (lab/shape.ts: tbf at
// --mbit, a userspace TUN delay line for --rtt, nft random loss), one file server in the home, and
// side by side over the same link: direct TCP through a port forward on the home's router (the
// control), `ssh -L` over that forward, hypertele (hyperdht's TCP forwarder, on a private DHT in
// the lab), Porthole punched, Porthole relayed over UDP, TCP and WebSocket. For each: goodput,
// time to first byte (cold: from starting the forwarder; warm: a new connection through a
// running one), the longest gap with no byte, CPU ms per MB on each side (and the relay's),
// 100 parallel 1 MiB fetches (all complete; Jain's fairness), memory per idle stream.
import { parseOptions } from './cli-args.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkLabPrerequisites, inNs, nft } from '../lab/netns.js';
import { pairInLab } from '../lab/paired.js';
import { killLabProcesses, runClient } from '../lab/runner.js';
import { cpuMsOfTree, rssOfTree, shapeLink } from '../lab/shape.js';
import { buildLab, type Lab } from '../lab/topology.js';
import type { FetchResult } from './forward-tools.js';

const USAGE = `usage: npm run bench:forward [-- options]   (as root: it builds the kernel-NAT lab)
  --loss 0,1,2,5   loss in % per step    --size 32   MiB per fetch     --rtt 30   ms (delay line)
  --mbit 100       the home's WAN rate   --parallel 100   1 MiB fetches at once (0: skip)
  --idle 200       idle streams (0: skip) --repeat 1  fetches per cell   --warm 10  first-byte probes
  --cap 20         s per fetch           --only direct,ssh,hypertele,punched,relay-udp,relay-tcp,relay-ws
  --json           one JSON line per result as well`;
const opt = parseOptions(
  {
    loss: { type: 'string', default: '0,1,2,5' },
    size: { type: 'string', default: '32' },
    rtt: { type: 'string', default: '30' },
    mbit: { type: 'string', default: '100' },
    parallel: { type: 'string', default: '100' },
    idle: { type: 'string', default: '200' },
    repeat: { type: 'string', default: '1' },
    warm: { type: 'string', default: '10' },
    cap: { type: 'string', default: '20' },
    only: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  USAGE,
);
const LOSSES = opt.loss.split(',').map(Number);
const SIZE = Math.round(Number(opt.size) * 1024 * 1024);
const RTT = Number(opt.rtt);
const MBIT = Number(opt.mbit);
const PARALLEL = Number(opt.parallel);
const IDLE = Number(opt.idle);
const REPEAT = Math.max(1, Number(opt.repeat));
const WARM = Math.max(1, Number(opt.warm));
const CAP_MS = Number(opt.cap) * 1000;
const ONLY = opt.only ? opt.only.split(',') : null;

const here = (rel: string): string =>
  [new URL(rel, import.meta.url), new URL('../' + rel, import.meta.url)]
    .map((u) => fileURLToPath(u))
    .find((p) => existsSync(p)) as string;
const TOOLS = here('./forward-tools.js');
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DHT_LAB = join(ROOT, 'scripts', 'hyperdht-lab.cjs');

const require_ = createRequire(import.meta.url);
const FILE_PORT = 8080;
const HOME_PUBLIC = '203.0.113.2';
const RV_IP = '198.51.100.1';

const procs: ChildProcess[] = [];
function spawnIn(
  ns: string,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): ChildProcess {
  const p = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env,
  });
  p.stderr?.on('data', () => {});
  if (process.env.FWD_DEBUG) {
    const { appendFileSync } = require_('node:fs') as typeof import('node:fs');
    const tag = `${cmd.split('/').pop()} ${args.map((a) => a.split('/').pop()).join(' ')}`.replace(
      /[^\w.-]+/g,
      '_',
    );
    const f = join(tmpdir(), `fwd-debug-${tag.slice(0, 60)}.log`);
    p.stderr?.on('data', (b: Buffer) => appendFileSync(f, b));
    p.stdout?.on('data', (b: Buffer) => appendFileSync(f, b));
  }
  procs.push(p);
  return p;
}
/** Resolves with the first stdout line that matches. */
function waitLine(p: ChildProcess, re: RegExp, ms: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    const timer = setTimeout(
      () =>
        reject(new Error(`${what}: no ${re} in ${ms} ms: ${buf.slice(-300)} ${err.slice(-300)}`)),
      ms,
    );
    p.stderr?.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-2000)));
    p.stdout?.on('data', (b: Buffer) => {
      buf += b.toString();
      const line = buf.split('\n').find((l) => re.test(l));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    p.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}): ${err.slice(-400)}`));
    });
  });
}

async function tool(ns: string, args: string[], ms: number): Promise<string> {
  const p = spawnIn(ns, process.execPath, [TOOLS, ...args]);
  return waitLine(p, /^\{/, ms, `forward-tools ${args[0]}`);
}
async function fetchIn(
  lab: Lab,
  host: string,
  port: number,
  spec: { bytes: number; n?: number; capMs?: number; seq?: number },
): Promise<{ wallMs: number; results: FetchResult[] }> {
  const line = await tool(
    lab.ns.client,
    ['fetch', host, String(port), JSON.stringify(spec)],
    (spec.capMs ?? 30_000) * (spec.seq ?? 1) + 30_000,
  );
  return JSON.parse(line) as { wallMs: number; results: FetchResult[] };
}

interface Variant {
  name: string;
  host: string;
  port: number;
  /** The forwarder's processes on each side (CPU, memory); none for direct TCP. */
  homePid?: () => number | undefined;
  clientPid?: () => number | undefined;
  relayPid?: () => number | undefined;
  /** Starts the client side; resolves when it serves (cold time measured from the call). */
  start?: () => Promise<void>;
  coldMs?: number | null;
  error?: string;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1] as number) : NaN;
};
const jain = (xs: number[]): number =>
  xs.reduce((a, b) => a + b, 0) ** 2 / (xs.length * xs.reduce((a, b) => a + b * b, 0));
const r1 = (x: number | null | undefined): number | null =>
  x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 10) / 10;

const out: object[] = [];
const emit = (o: object): void => {
  out.push(o);
  if (opt.json) process.stdout.write(JSON.stringify(o) + '\n');
};
const say = (s: string): void => {
  if (!opt.json) process.stdout.write(s + '\n');
  else process.stderr.write(s + '\n');
};

async function main(): Promise<void> {
  checkLabPrerequisites();
  const load = (await import('node:os')).loadavg();
  say(
    `forward bench: ${MBIT} Mbit/s, RTT ${RTT} ms (delay line), loss ${LOSSES.join('/')}%, ` +
      `${SIZE >> 20} MiB per fetch (cap ${CAP_MS / 1000} s), load ${load.map((l) => l.toFixed(1)).join(' ')}`,
  );
  const lab = buildLab({
    home: { router: 'port', cgnat: false },
    client: { router: 'port', cgnat: false },
    firewall: true,
    lossPct: 0,
  });
  const shaper = await shapeLink(`${lab.prefix}-isph`, MBIT, RTT / 2);
  const cleanup = (): void => {
    for (const p of procs) p.kill('SIGKILL');
    killLabProcesses();
    shaper.close();
    lab.teardown();
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    await run(lab, shaper);
  } finally {
    cleanup();
  }
}

async function run(lab: Lab, shaper: Awaited<ReturnType<typeof shapeLink>>): Promise<void> {
  const router = lab.ns.homeNats[0] as string;
  // The control: a port forward on the home's router (8080 → file server, 2222 → sshd).
  nft(
    router,
    `table ip phportfwd { chain pre { type nat hook prerouting priority -110;
      iifname "wan" tcp dport ${FILE_PORT} dnat to ${lab.homeIp}:${FILE_PORT};
      iifname "wan" tcp dport 2222 dnat to ${lab.homeIp}:22; }; }`,
  );
  const server = spawnIn(lab.ns.home, process.execPath, [TOOLS, 'serve', String(FILE_PORT)]);
  await waitLine(server, /serving/, 10_000, 'file server');
  const cc = inNs(lab.ns.client, 'sysctl', ['-n', 'net.ipv4.tcp_congestion_control']).trim();

  const variants: Variant[] = [{ name: 'direct', host: HOME_PUBLIC, port: FILE_PORT }];
  const want = (n: string): boolean => !ONLY || ONLY.includes(n) || n === 'direct';

  // --- ssh -L over the port forward --------------------------------------------------------
  if (want('ssh')) variants.push(await sshVariant(lab));
  // --- hypertele on a private hyperdht ------------------------------------------------------
  if (want('hypertele')) variants.push(await hyperteleVariant(lab));
  // --- Porthole ----------------------------------------------------------------------------
  const pt = ['punched', 'relay-udp', 'relay-tcp', 'relay-ws'].filter(want);
  if (pt.length) variants.push(...(await portholeVariants(lab, pt)));

  // RTT as the file server's TCP handshake sees it (a SYN and its answer through the link),
  // 11 connects in one process, the first (the process's own warm-up) left out.
  const probe = await fetchIn(lab, HOME_PUBLIC, FILE_PORT, { bytes: 1, seq: 11, capMs: 5000 });
  const rtt = median(probe.results.slice(1).flatMap((r) => (r.connectMs ? [r.connectMs] : [])));
  say(
    `measured RTT (TCP connect through the link): ${r1(rtt)} ms; client TCP congestion control: ${cc}`,
  );

  // Cold start of each forwarder (its process started, to the first byte of a 1-byte fetch).
  for (const v of variants) {
    if (!v.start) continue;
    try {
      await v.start();
    } catch (e) {
      v.error = (e as Error).message.slice(0, 300);
      say(`${v.name}: did not start: ${v.error}`);
    }
  }
  const live = variants.filter((v) => !v.error);

  // Warm first byte: a new connection through a running forwarder, --warm times.
  for (const v of live) {
    // One process, WARM + 1 connections one after another; the first is its warm-up.
    const f = await fetchIn(lab, v.host, v.port, { bytes: 1, seq: WARM + 1, capMs: 10_000 });
    const ttfb = f.results.slice(1).flatMap((r) => (r.ok && r.ttfbMs !== null ? [r.ttfbMs] : []));
    const warm = median(ttfb);
    emit({
      kind: 'first-byte',
      variant: v.name,
      rttMs: r1(rtt),
      coldMs: r1(v.coldMs),
      warmMs: r1(warm),
      warmMinusRttMs: r1(warm - rtt),
      samples: ttfb.length,
    });
  }

  // Goodput per loss level.
  const goodput = new Map<string, number>();
  for (const loss of LOSSES) {
    shaper.setLoss(loss);
    for (const v of live) {
      const runs: Array<{ r: FetchResult; cpu: Record<string, number | null> }> = [];
      const dl0 = cpuMsOfTree(shaper.delayPid);
      for (let k = 0; k < REPEAT; k++) {
        const pids = { home: v.homePid?.(), client: v.clientPid?.(), relay: v.relayPid?.() };
        const before = Object.fromEntries(
          Object.entries(pids).map(([s, p]) => [s, p ? cpuMsOfTree(p) : null]),
        );
        const f = await fetchIn(lab, v.host, v.port, { bytes: SIZE, capMs: CAP_MS });
        const r = f.results[0] as FetchResult;
        const mb = Math.max(1e-9, r.bytes / 1e6);
        const cpu = Object.fromEntries(
          Object.entries(pids).map(([s, p]) => [
            s,
            p && before[s] !== null ? (cpuMsOfTree(p) - (before[s] as number)) / mb : null,
          ]),
        );
        runs.push({ r, cpu });
      }
      const dlMs = cpuMsOfTree(shaper.delayPid) - dl0;
      const best = runs.map((x) => (x.r.bytes * 8) / (x.r.ms * 1000));
      const mbps = median(best);
      goodput.set(`${v.name}@${loss}`, mbps);
      const mid = runs[best.indexOf(mbps)] ?? runs[0];
      const totalMb = runs.reduce((a, x) => a + x.r.bytes / 1e6, 0);
      emit({
        kind: 'goodput',
        variant: v.name,
        lossPct: loss,
        mbps: r1(mbps),
        runsMbps: best.map(r1),
        pctOfDirect: r1((100 * mbps) / (goodput.get(`direct@${loss}`) ?? NaN)),
        complete: runs.every((x) => x.r.ok),
        maxGapMs: r1(Math.max(...runs.map((x) => x.r.maxGapMs))),
        ttfbMs: r1(mid?.r.ttfbMs),
        cpuMsPerMB: {
          home: r1(mid?.cpu.home),
          client: r1(mid?.cpu.client),
          relay: r1(mid?.cpu.relay),
        },
        relayMBpsPerCore: mid?.cpu.relay && mid.cpu.relay > 0 ? r1(1000 / mid.cpu.relay) : null,
        delayLineMsPerMB: r1(dlMs / Math.max(1e-9, totalMb)),
      });
    }
  }
  shaper.setLoss(0);

  // 100 parallel 1 MiB fetches.
  for (const v of PARALLEL > 0 ? live : []) {
    const f = await fetchIn(lab, v.host, v.port, {
      bytes: 1 << 20,
      n: PARALLEL,
      capMs: 3 * CAP_MS,
    });
    const thr = f.results.map((r) => r.bytes / r.ms);
    emit({
      kind: 'parallel',
      variant: v.name,
      n: PARALLEL,
      complete: f.results.filter((r) => r.ok).length,
      wallMs: Math.round(f.wallMs),
      aggregateMbps: r1((f.results.reduce((a, r) => a + r.bytes, 0) * 8) / (f.wallMs * 1000)),
      jain: Math.round(jain(thr) * 1000) / 1000,
      maxGapMs: r1(Math.max(...f.results.map((r) => r.maxGapMs))),
      errors: [...new Set(f.results.filter((r) => r.error).map((r) => r.error))].slice(0, 3),
    });
  }

  // Memory per idle stream (forwarders only).
  for (const v of IDLE > 0 ? live : []) {
    const hp = v.homePid?.();
    const cp = v.clientPid?.();
    if (!hp && !cp) continue;
    const before = { home: hp ? rssOfTree(hp) : 0, client: cp ? rssOfTree(cp) : 0 };
    const idle = spawnIn(lab.ns.client, process.execPath, [
      TOOLS,
      'idle',
      v.host,
      String(v.port),
      String(IDLE),
    ]);
    try {
      await waitLine(idle, /^open/, 60_000, `${v.name} idle`);
      await new Promise((r) => setTimeout(r, 3000));
      const after = { home: hp ? rssOfTree(hp) : 0, client: cp ? rssOfTree(cp) : 0 };
      emit({
        kind: 'idle-memory',
        variant: v.name,
        streams: IDLE,
        homeKiBPerStream: hp ? r1((after.home - before.home) / 1024 / IDLE) : null,
        clientKiBPerStream: cp ? r1((after.client - before.client) / 1024 / IDLE) : null,
      });
    } catch (e) {
      emit({ kind: 'idle-memory', variant: v.name, error: (e as Error).message.slice(0, 200) });
    } finally {
      idle.stdin?.end();
      setTimeout(() => idle.kill('SIGKILL'), 2000).unref();
      await new Promise((r) => setTimeout(r, 2500));
    }
  }
  for (const v of variants.filter((x) => x.error))
    emit({ kind: 'error', variant: v.name, error: v.error });
  emit({ kind: 'delay-line', ...delayLineCost(goodput, shaper.delayPid) });
  printTables(rtt);
}

/** Filled in as the goodput runs go (CPU of the delay line per MB moved). */
function delayLineCost(_g: Map<string, number>, pid: number): object {
  return { cpuMsTotal: Math.round(cpuMsOfTree(pid)) };
}

/** Cold start: spawn the forwarder and, at the same moment, a prober that fetches 1 byte
 * through it every 20 ms until one answers; cold = that answer's first byte − the spawn. */
async function coldProbe(lab: Lab, port: number, t0: number): Promise<number> {
  const line = await tool(lab.ns.client, ['cold', '127.0.0.1', String(port), '30000'], 40_000);
  const r = JSON.parse(line) as { firstByteAt: number | null; error?: string };
  if (r.firstByteAt === null) throw new Error(`no first byte: ${r.error}`);
  return r.firstByteAt - t0;
}

async function sshVariant(lab: Lab): Promise<Variant> {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-fwd-ssh-'));
  if (!existsSync('/usr/sbin/sshd') || !existsSync('/usr/bin/ssh')) {
    say('ssh: installing openssh-server openssh-client (apt-get)…');
    const r = spawn('apt-get', ['install', '-y', '-q', 'openssh-server', 'openssh-client'], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    await new Promise((res) => r.once('exit', res));
  }
  mkdirSync('/run/sshd', { recursive: true });
  for (const k of ['host', 'id'])
    inNs(lab.ns.home, 'ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, k)]);
  const { readFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'id.pub')));
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      'Port 22',
      'ListenAddress 0.0.0.0',
      `HostKey ${join(dir, 'host')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      `PidFile ${join(dir, 'sshd.pid')}`,
      'AllowTcpForwarding yes',
    ].join('\n') + '\n',
  );
  const sshd = spawnIn(lab.ns.home, '/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')]);
  await new Promise((r) => setTimeout(r, 500));
  const port = 18090;
  let client: ChildProcess | undefined;
  const v: Variant = {
    name: 'ssh',
    host: '127.0.0.1',
    port,
    homePid: () => sshd.pid,
    clientPid: () => client?.pid,
    start: async () => {
      const t0 = Date.now();
      client = spawnIn(lab.ns.client, 'ssh', [
        '-N',
        '-L',
        `127.0.0.1:${port}:127.0.0.1:${FILE_PORT}`,
        '-p',
        '2222',
        '-i',
        join(dir, 'id'),
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'BatchMode=yes',
        '-o',
        'ExitOnForwardFailure=yes',
        `root@${HOME_PUBLIC}`,
      ]);
      v.coldMs = await coldProbe(lab, port, t0);
    },
  };
  return v;
}

async function hyperteleVariant(lab: Lab): Promise<Variant> {
  const DHT_PORT = 49737;
  const seed = 'a'.repeat(64);
  const ht = join(ROOT, 'node_modules', 'hypertele');
  const env = { ...process.env, LAB_DHT_HOST: RV_IP };
  // A private DHT on the core: the rendezvous address and three more, two nodes each.
  const dhtHosts = [RV_IP, '198.51.100.101', '198.51.100.102', '198.51.100.103'];
  for (const ip of dhtHosts.slice(1))
    inNs(lab.ns.rendezvous, 'ip', ['addr', 'add', `${ip}/32`, 'dev', 'lo']);
  const testnet = spawnIn(lab.ns.rendezvous, process.execPath, [
    DHT_LAB,
    'testnet',
    dhtHosts.join(','),
    String(DHT_PORT),
  ]);
  await waitLine(testnet, /ready/, 30_000, 'hyperdht testnet');
  const server = spawnIn(
    lab.ns.home,
    process.execPath,
    [
      '-r',
      DHT_LAB,
      join(ht, 'server.js'),
      '-l',
      String(FILE_PORT),
      '--seed',
      seed,
      '--private',
    ].concat(['--bootstrap', String(DHT_PORT)]),
    env,
  );
  await new Promise((r) => setTimeout(r, 3000)); // it announces itself on the DHT
  const port = 18100;
  let client: ChildProcess | undefined;
  const v: Variant = {
    name: 'hypertele',
    host: '127.0.0.1',
    port,
    homePid: () => server.pid,
    clientPid: () => client?.pid,
    start: async () => {
      const t0 = Date.now();
      client = spawnIn(
        lab.ns.client,
        process.execPath,
        ['-r', DHT_LAB, join(ht, 'client.js'), '-p', String(port), '-s', seed, '--private'].concat([
          '--bootstrap',
          String(DHT_PORT),
        ]),
        env,
      );
      v.coldMs = await coldProbe(lab, port, t0);
    },
  };
  return v;
}

async function portholeVariants(lab: Lab, names: string[]): Promise<Variant[]> {
  const p = await pairInLab(lab, 'fwd', undefined, [
    '--relay-tcp',
    '7402',
    '--relay-ws',
    '7403',
    // The relay under measurement must not be limited by its per-home budget.
    '--relay-home-rate',
    String(1e9),
  ]);
  await runClient(lab.ns.home, [
    'home',
    'serve',
    '--state',
    p.homeDir,
    `web=127.0.0.1:${FILE_PORT}`,
    '--all-paired',
  ]);
  await new Promise((r) => setTimeout(r, 1500)); // the home re-reads services.json each second
  const flags: Record<string, string[]> = {
    punched: ['--relay', 'off'],
    'relay-udp': ['--relay', 'only', '--relay-transport', 'udp'],
    'relay-tcp': ['--relay', 'only', '--relay-transport', 'tcp', '--relay-addr', `${RV_IP}:7402`],
    'relay-ws': ['--relay', 'only', '--relay-transport', 'ws', '--relay-addr', `${RV_IP}:7403`],
  };
  return names.map((name, i) => {
    const port = 18081 + i;
    let client: ChildProcess | undefined;
    const v: Variant = {
      name,
      host: '127.0.0.1',
      port,
      homePid: () => p.procs.home.pid,
      clientPid: () => client?.pid,
      ...(name.startsWith('relay') ? { relayPid: () => p.procs.rendezvous.pid } : {}),
      start: async () => {
        const t0 = Date.now();
        client = spawnIn(lab.ns.client, process.execPath, [
          fileURLToPath(new URL('../../bin/porthole.js', import.meta.url)),
          'client',
          'forward',
          `127.0.0.1:${port}:web`,
          ...p.base,
          ...(flags[name] as string[]),
        ]);
        v.coldMs = await coldProbe(lab, port, t0);
      },
    };
    return v;
  });
}

/** A cell: '-' for nothing, numbers and text as they are. */
const S = (x: unknown): string =>
  x === null || x === undefined
    ? '-'
    : typeof x === 'number' || typeof x === 'boolean' || typeof x === 'string'
      ? String(x)
      : JSON.stringify(x);

function printTables(rtt: number): void {
  const rows = out as Array<Record<string, unknown>>;
  const pad = (s: unknown, n: number): string => S(s).padEnd(n);
  const of = (kind: string): Array<Record<string, unknown>> => rows.filter((x) => x.kind === kind);
  say(
    `\nfirst byte (RTT ${S(r1(rtt))} ms): cold = forwarder started → first byte; warm = a new connection through it`,
  );
  say(pad('variant', 11) + pad('cold ms', 9) + pad('warm ms', 9) + 'warm − RTT');
  for (const r of of('first-byte'))
    say(pad(r.variant, 11) + pad(r.coldMs, 9) + pad(r.warmMs, 9) + S(r.warmMinusRttMs));
  say('\ngoodput (Mbit/s, % of direct TCP), longest gap, CPU ms per MB (home / client / relay)');
  say(
    pad('variant', 11) +
      pad('loss', 6) +
      pad('Mbit/s', 8) +
      pad('%dir', 7) +
      pad('gap ms', 9) +
      pad('done', 6) +
      'cpu h/c/r',
  );
  for (const r of of('goodput')) {
    const c = r.cpuMsPerMB as Record<string, unknown>;
    say(
      pad(r.variant, 11) +
        pad(r.lossPct, 6) +
        pad(r.mbps, 8) +
        pad(r.pctOfDirect, 7) +
        pad(r.maxGapMs, 9) +
        pad(r.complete ? 'yes' : 'cap', 6) +
        `${S(c.home)} / ${S(c.client)} / ${S(c.relay)}`,
    );
  }
  say('\nparallel 1 MiB fetches');
  for (const r of of('parallel'))
    say(
      pad(r.variant, 11) +
        `${S(r.complete)}/${S(r.n)} complete, ${S(r.aggregateMbps)} Mbit/s, Jain ${S(r.jain)}, ` +
        `longest gap ${S(r.maxGapMs)} ms`,
    );
  say('\nmemory per idle stream (RSS delta / streams)');
  for (const r of of('idle-memory'))
    say(
      pad(r.variant, 11) +
        `home ${S(r.homeKiBPerStream)} KiB, client ${S(r.clientKiBPerStream)} KiB ${r.error ? S(r.error) : ''}`,
    );
  for (const r of of('error')) say(`${S(r.variant)}: ${S(r.error)}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench:forward failed: ${(e as Error).stack}\n`);
    process.exit(1);
  },
);
