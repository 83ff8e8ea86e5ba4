// Load bench for the rendezvous: `npm run bench:rendezvous [-- --homes N --seconds S --nodes 1,2,3]`.
// Each node is its own process; the load comes from this one over loopback, from many source
// addresses in 127.0.0.0/8 (homes on 127.1.x.y, clients on 127.2.x.y), always paced or closed-loop
// (a bounded window of requests in flight), everything bounded in count and time.
//
// Per configuration (1 node, then 2 and 3 nodes on one local redis-server):
//  1. registrations of --homes homes (spread over the nodes), window --window: rate, heap/home
//     (node heap after full GCs, after minus before, divided by homes);
//  2. keepalives at the realistic rate of --homes homes every 20 s (homes/20 per second) for
//     --seconds: one slice of the steady state instead of waiting 20 s x periods (each home's
//     keepalive is independent, so a node that sustains the rate for a slice sustains it);
//  3. assists for --seconds, closed-loop: each client asks a random node for a random home; the
//     bench's homes answer PeerInfo with SprayDone at once, the client waits for Ready (figure 2
//     without the spray). Rate, p50/p99 latency, and node CPU (assists per CPU-second).
import { parseOptions } from './cli-args.js';
import { fork, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import type { SocketAddr } from '../src/net/types.js';
import { percentile } from '../src/sim/stats.js';
import { decode, encode, REQUEST_PAD, type Message } from '../src/wire/messages.js';
import { startRedis } from '../test/support/redis.js';

const a = parseOptions(
  {
    homes: { type: 'string', default: '50000' },
    seconds: { type: 'string', default: '4' },
    nodes: { type: 'string', default: '1,2,3' },
    window: { type: 'string', default: '128' },
  },
  'usage: npm run bench:rendezvous [-- --homes 50000 --seconds 4 --nodes 1,2,3 --window 128]',
);
const HOMES = Math.min(Number(a.homes), 2_000_000);
const SECONDS = Math.min(Number(a.seconds), 120);
const WINDOW = Math.min(Number(a.window), 4096);
const CONFIGS = a.nodes
  .split(',')
  .map(Number)
  .filter((n) => n >= 1 && n <= 8);
const HOME_SOCKETS = 200;
const CLIENT_SOCKETS = 64;
const TIMEOUT_MS = 2000;

// --- node processes ---------------------------------------------------------------------------

interface NodeProc {
  addr: SocketAddr;
  ask<T>(cmd: string): Promise<T>;
  stop(): Promise<void>;
}

function spawnNode(ip: string, redisUrl: string, id: string): Promise<NodeProc> {
  const file = fileURLToPath(new URL('./rendezvous-node.js', import.meta.url));
  const proc: ChildProcess = fork(file, [ip, redisUrl, id], { execArgv: ['--expose-gc'] });
  const next = <T>(): Promise<T> =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`node ${id} did not answer in 20 s`)), 20_000);
      proc.once('message', (m) => {
        clearTimeout(t);
        resolve(m as T);
      });
    });
  return next<{ addr: SocketAddr }>().then(({ addr }) => {
    let chain: Promise<unknown> = Promise.resolve();
    const ask = <T>(cmd: string): Promise<T> => {
      const p = chain.then(() => {
        const r = next<T>();
        proc.send({ cmd });
        return r;
      });
      chain = p.catch(() => {});
      return p;
    };
    const stop = (): Promise<void> =>
      new Promise((resolve) => {
        const t = setTimeout(() => (proc.kill('SIGKILL'), resolve()), 3000);
        proc.once('exit', () => (clearTimeout(t), resolve()));
        proc.send({ cmd: 'stop' });
      });
    return { addr, ask, stop };
  });
}

// --- load sockets -----------------------------------------------------------------------------

async function openSockets(
  second: number,
  n: number,
  onMsg: (m: Message, from: dgram.RemoteInfo, s: dgram.Socket) => void,
) {
  const socks: dgram.Socket[] = [];
  for (let i = 0; i < n; i++) {
    const s = dgram.createSocket('udp4');
    s.on('message', (buf, from) => {
      const r = decode(buf);
      if (r.ok) onMsg(r.msg, from, s);
    });
    await new Promise<void>((res) =>
      s.bind({ address: `127.${second}.${(i / 250) | 0}.${(i % 250) + 1}` }, res),
    );
    socks.push(s);
  }
  return socks;
}

/** Closed loop: at most `window` requests in flight; each one ends by done(id) or times out. */
class Loop {
  readonly lat: number[] = [];
  timeouts = 0;
  failed = 0;
  private readonly inflight = new Map<number, number>();
  private nextId = 0;
  private stopAt = Infinity;
  private finish: () => void = () => {};

  constructor(
    private readonly send: (id: number) => void,
    private readonly total: number,
  ) {}

  run(durationMs: number): Promise<number> {
    const t0 = performance.now();
    this.stopAt = t0 + durationMs;
    const watchdog = setInterval(() => {
      const now = performance.now();
      for (const [id, t] of this.inflight)
        if (now - t > TIMEOUT_MS) {
          this.inflight.delete(id);
          this.timeouts++;
          this.issue();
        }
      if (this.inflight.size === 0) this.finish();
    }, 100);
    return new Promise<number>((resolve) => {
      this.finish = () => {
        clearInterval(watchdog);
        resolve((performance.now() - t0) / 1000);
      };
      for (let i = 0; i < WINDOW; i++) this.issue();
    });
  }

  done(id: number, ok = true): void {
    const t = this.inflight.get(id);
    if (t === undefined) return;
    this.inflight.delete(id);
    if (ok) this.lat.push(performance.now() - t);
    else this.failed++;
    this.issue();
  }

  private issue(): void {
    if (this.nextId >= this.total || performance.now() > this.stopAt) {
      if (this.inflight.size === 0) this.finish();
      return;
    }
    const id = this.nextId++;
    this.inflight.set(id, performance.now());
    this.send(id);
  }
}

/** Open-loop but paced requests (keepalives run on the homes' timers, not on our answers). */
class Tracker {
  readonly lat: number[] = [];
  private readonly inflight = new Map<number, number>();
  get pending(): number {
    return this.inflight.size;
  }
  start(id: number): void {
    this.inflight.set(id, performance.now());
  }
  done(id: number): void {
    const t = this.inflight.get(id);
    if (t === undefined) return;
    this.inflight.delete(id);
    this.lat.push(performance.now() - t);
  }
}

// --- one configuration ------------------------------------------------------------------------

interface Row {
  nodes: number;
  homes: number;
  regPerSec: number;
  kaRate: number;
  kaOk: number;
  kaP99: number;
  assistsPerSec: number;
  p50: number;
  p99: number;
  failed: number;
  bytesPerHome: number;
  cpuShare: number;
  redisBytesPerHome?: number;
}

async function runConfig(n: number, redisUrl: string): Promise<Row> {
  const nodes: NodeProc[] = [];
  for (let i = 0; i < n; i++)
    nodes.push(await spawnNode('127.0.0.2', n > 1 ? redisUrl : '', `bench-${i + 1}`));
  if (n > 1) {
    const deadline = Date.now() + 10_000;
    while (
      !(await Promise.all(nodes.map((x) => x.ask<{ up: boolean }>('up')))).every((u) => u.up)
    ) {
      if (Date.now() > deadline) throw new Error('nodes did not reach redis in 10 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const nodeOf = (home: number): SocketAddr => nodes[home % n]!.addr;
  let reg: Loop | undefined;
  const ka = new Tracker();
  let assists: Loop | undefined;
  const homes = await openSockets(1, HOME_SOCKETS, (m, from, s) => {
    if (m.type === 'registered') reg?.done(m.tx);
    else if (m.type === 'keepaliveAck') ka.done(m.tx);
    else if (m.type === 'peerInfo') {
      const reply = encode(
        { type: 'sprayDone', tx: m.tx, session: m.session, sprayed: 0 },
        REQUEST_PAD,
      );
      s.send(reply, from.port, from.address);
    }
  });
  const clients = await openSockets(2, CLIENT_SOCKETS, (m) => {
    if (m.type === 'ready') assists?.done(parseInt(m.session.slice(8), 16));
    else if (m.type === 'error') assists?.done(m.tx, false);
  });
  const send = (s: dgram.Socket, msg: Message, to: SocketAddr) =>
    s.send(encode(msg, REQUEST_PAD), to.port, to.ip);
  try {
    const mem0 = await Promise.all(nodes.map((x) => x.ask<{ heap: number }>('mem')));
    reg = new Loop((i) => {
      const msg: Message = {
        type: 'register',
        tx: i,
        homeId: `h${i}`,
        locals: [],
        auth: new Uint8Array(0),
      };
      send(homes[i % HOME_SOCKETS]!, msg, nodeOf(i));
    }, HOMES);
    const regSecs = await reg.run(120_000);
    const mem1 = await Promise.all(nodes.map((x) => x.ask<{ heap: number }>('mem')));
    const heapDelta = mem1.reduce((s, m, i) => s + m.heap - mem0[i]!.heap, 0);

    // Keepalives: homes/20 per second, paced in 10 ms ticks, never more than 4 x window waiting.
    const kaRate = HOMES / 20;
    let sent = 0;
    const kaStart = performance.now();
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const due = Math.floor(((performance.now() - kaStart) / 1000) * kaRate);
        while (sent < due && ka.pending < 4 * WINDOW) {
          const home = (sent * 7919) % HOMES;
          ka.start(home);
          const msg: Message = { type: 'keepalive', tx: home, homeId: `h${home}` };
          send(homes[home % HOME_SOCKETS]!, msg, nodeOf(home));
          sent++;
        }
        if (performance.now() - kaStart > SECONDS * 1000) {
          clearInterval(tick);
          resolve();
        }
      }, 10);
    });
    await new Promise((r) => setTimeout(r, 300));

    const cpu0 = await Promise.all(nodes.map((x) => x.ask<{ cpuMs: number }>('cpu')));
    const prefix = (Date.now() % 0xffff).toString(16).padStart(8, '0');
    assists = new Loop((i) => {
      const home = Math.floor(Math.random() * HOMES);
      // The low 8 hex digits are the loop id (Ready carries only the session).
      const session = prefix + i.toString(16).padStart(8, '0');
      const msg: Message = {
        type: 'assist',
        tx: i,
        homeId: `h${home}`,
        session,
        mode: 'patent',
        auth: new Uint8Array(0),
      };
      send(clients[i % CLIENT_SOCKETS]!, msg, nodes[Math.floor(Math.random() * n)]!.addr);
    }, Infinity);
    const loop = assists;
    const secs = await loop.run(SECONDS * 1000);
    const cpu1 = await Promise.all(nodes.map((x) => x.ask<{ cpuMs: number }>('cpu')));
    const cpuMs = cpu1.reduce((s, c, i) => s + c.cpuMs - cpu0[i]!.cpuMs, 0);
    let redisBytesPerHome: number | undefined;
    if (n > 1) {
      const c = createClient({ url: redisUrl });
      await c.connect();
      const info = await c.info('memory');
      const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
      redisBytesPerHome = used / HOMES;
      await c.flushAll();
      c.destroy();
    }
    return {
      nodes: n,
      homes: HOMES - reg.timeouts,
      regPerSec: HOMES / regSecs,
      kaRate,
      kaOk: ka.lat.length / Math.max(1, sent),
      kaP99: percentile(ka.lat, 99),
      assistsPerSec: loop.lat.length / secs,
      p50: percentile(loop.lat, 50),
      p99: percentile(loop.lat, 99),
      failed: loop.failed + loop.timeouts,
      bytesPerHome: heapDelta / HOMES,
      cpuShare: cpuMs / (secs * 1000),
      redisBytesPerHome,
    };
  } finally {
    for (const s of [...homes, ...clients]) s.close();
    await Promise.all(nodes.map((x) => x.stop()));
  }
}

// --- main -------------------------------------------------------------------------------------

const started = performance.now();
const redis = CONFIGS.some((n) => n > 1) ? await startRedis() : undefined;
const rows: Row[] = [];
try {
  for (const n of CONFIGS) {
    process.stderr.write(`bench: ${n} node(s), ${HOMES} homes, ${SECONDS} s per phase…\n`);
    rows.push(await runConfig(n, redis?.url ?? ''));
  }
} finally {
  await redis?.stop();
}
const f = (x: number, d = 0) => x.toFixed(d);
console.log(
  `\nrendezvous bench: ${HOMES} homes, ${SECONDS} s phases, window ${WINDOW}; load generator and ` +
    `nodes share this machine's ${(await import('node:os')).cpus().length} cores`,
);
console.log(
  'nodes | homes held | reg/s  | keepalive load (homes/20 s) ok, p99 | assists/s | p50 ms | p99 ms | failed | node CPU (cores) | assists per CPU-s | heap B/home | redis B/home',
);
const one = rows.find((r) => r.nodes === 1);
for (const r of rows) {
  console.log(
    [
      f(r.nodes).padStart(5),
      f(r.homes).padStart(10),
      f(r.regPerSec).padStart(6),
      `${f(r.kaRate)}/s ${f(100 * r.kaOk, 1)}% ${f(r.kaP99, 1)} ms`.padStart(36),
      f(r.assistsPerSec).padStart(9),
      f(r.p50, 1).padStart(6),
      f(r.p99, 1).padStart(6),
      f(r.failed).padStart(6),
      f(r.cpuShare, 2).padStart(16),
      f(r.assistsPerSec / Math.max(r.cpuShare, 0.01)).padStart(17),
      f(r.bytesPerHome).padStart(11),
      (r.redisBytesPerHome === undefined ? '-' : f(r.redisBytesPerHome)).padStart(12),
    ].join(' | '),
  );
}
if (one)
  for (const r of rows.filter((x) => x.nodes > 1))
    console.log(
      `scaling: ${r.nodes} nodes = ${f(r.assistsPerSec / one.assistsPerSec, 2)} x one node's assist rate`,
    );
console.log(`total ${f((performance.now() - started) / 1000, 1)} s`);
