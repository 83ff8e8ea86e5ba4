// Relay costs: `npm run bench:relay [SECONDS_PER_TRANSPORT]`.
// 1. Memory per relayed session: 10,000 open sessions in the relay core (in-process, heap delta
//    after GC), and per TCP / WebSocket client connection (500 real loopback connections).
// 2. Relayed throughput per core: a client streams 1,000-byte frames to a home through the relay
//    (its own process) over udp, tcp and ws, paced to a fixed offered rate; reported as bytes the
//    relay forwarded per second of its process's CPU time (delivered %: what reached the home,
//    whose receive loop shares this process with the sender, so it drops first under load).
import { countArg } from './cli-args.js';
import { fork } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { whenBound } from '../src/net/node-udp.js';
import { realEnv } from '../src/net/real-env.js';
import { silentLogger, type Env, type SocketAddr } from '../src/net/types.js';
import { openRelayPath, type RelayClientPath, type RelayTarget } from '../src/relay/client-path.js';
import { HomeRelay } from '../src/relay/home-relay.js';
import { RelayCore } from '../src/relay/server.js';
import { startTcpRelay } from '../src/relay/tcp-server.js';
import { startWsRelay } from '../src/relay/ws-server.js';
import { sameAddr } from '../src/wire/addr.js';
import { decode, encode } from '../src/wire/messages.js';
import { TcpLink, WsLink, type RelayLink } from '../src/relay/client-links.js';

const SECONDS = Math.min(
  10,
  countArg(
    0,
    2,
    'usage: npm run bench:relay [-- SECONDS]   (default 2, at most 10: per transport)',
  ),
);
const FRAME = 1000;
/** Offered load: frames per 5 ms tick (= 40 MB/s offered); bounded so the machine stays usable. */
const PER_TICK = 200;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heap = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const env: Env = realEnv(silentLogger);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// --- 1a. core memory per session ------------------------------------------------------------
function coreMemory(n: number): number {
  const HOME: SocketAddr = { ip: '198.51.100.9', port: 4000 };
  const core = new RelayCore(env, {
    lookupHome: () => HOME,
    sendUdp: () => {},
    maxSessions: n,
    maxPendingPerIp: n,
    maxSessionsPerKey: n,
    maxSessionsPerHome: n,
    offersPerHome: { ratePerSec: n, burst: n, maxKeys: 10 },
  });
  const auth = new Uint8Array(113);
  const before = heap();
  for (let i = 0; i < n; i++) {
    const session = i.toString(16).padStart(16, '0');
    const from = { ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 40000 };
    core.onUdp(
      { type: 'relayOpen', tx: i, homeId: 'h', session, auth, early: new Uint8Array(0) },
      from,
      200,
    );
    core.onUdp({ type: 'relayAccept', tx: 1, session }, HOME, 20);
  }
  const per = (heap() - before) / n;
  if (core.stats.sessions !== n) throw new Error(`only ${core.stats.sessions} sessions opened`);
  core.close();
  return per;
}

// --- 1b. stream connection memory -----------------------------------------------------------
async function streamMemory(kind: 'tcp' | 'ws', n: number): Promise<number> {
  const core = new RelayCore(env, { lookupHome: () => undefined, sendUdp: () => {} });
  const server =
    kind === 'tcp'
      ? await startTcpRelay(core, { host: '127.0.0.1', port: 0, maxConnectionsPerIp: n })
      : await startWsRelay(core, { host: '127.0.0.1', port: 0, maxConnectionsPerIp: n });
  const before = heap();
  const links: RelayLink[] = [];
  for (let i = 0; i < n; i++)
    links.push(
      kind === 'tcp'
        ? new TcpLink({ ip: '127.0.0.1', port: server.port })
        : new WsLink(`ws://127.0.0.1:${server.port}/porthole`),
    );
  await sleep(1500);
  // Both ends live in this process: halve the delta (client and server objects are alike).
  const per = (heap() - before) / n / 2;
  for (const l of links) l.close();
  await server.close();
  core.close();
  return per;
}

// --- 2. throughput ----------------------------------------------------------------------------
interface RelayStatsReply {
  stats: { bytesToHome: number };
  cpuMs: number;
}

async function throughput(): Promise<void> {
  const child = fork(new URL('./relay-node.js', import.meta.url));
  const next = <T>(): Promise<T> => new Promise((r) => child.once('message', (m) => r(m as T)));
  await next();
  const homeEp = env.net.open({ ip: '127.0.0.1' });
  const home = await whenBound(homeEp);
  child.send({ home });
  const { ports } = await next<{ ports: { udp: number; tcp: number; ws: number } }>();
  const relay: SocketAddr = { ip: '127.0.0.1', port: ports.udp };
  let delivered = 0;
  const homeRelay = new HomeRelay({
    send: (m, to) => homeEp.send(encode(m), to),
    isRelay: (from) => sameAddr(from, relay),
    authorize: () => ({ ok: true }),
    onPath: (p) => p.onMessage((d) => (delivered += d.length)),
  });
  homeEp.onDatagram((d, from) => {
    const r = decode(d);
    if (r.ok) homeRelay.handle(r.msg, from);
  });
  const targets: RelayTarget[] = [
    { transport: 'udp', relay },
    { transport: 'tcp', relay: { ip: '127.0.0.1', port: ports.tcp } },
    { transport: 'ws', url: `ws://127.0.0.1:${ports.ws}/porthole` },
  ];
  for (const target of targets) {
    const path = await new Promise<RelayClientPath>((resolve, reject) =>
      openRelayPath(env, target, { homeId: 'bench', auth: () => new Uint8Array(0) }, (r) =>
        r.ok ? resolve(r.path) : reject(r.error),
      ),
    );
    child.send({ stats: true });
    const start = await next<RelayStatsReply>();
    delivered = 0;
    let offered = 0;
    const frame = new Uint8Array(FRAME).fill(1);
    const t0 = performance.now();
    const timer = setInterval(() => {
      for (let i = 0; i < PER_TICK; i++) path.send(frame);
      offered += PER_TICK * FRAME;
    }, 5);
    await sleep(SECONDS * 1000);
    clearInterval(timer);
    await sleep(300);
    const wall = (performance.now() - t0) / 1000;
    child.send({ stats: true });
    const end = await next<RelayStatsReply>();
    const cpuS = (end.cpuMs - start.cpuMs) / 1000;
    const forwarded = end.stats.bytesToHome - start.stats.bytesToHome;
    const mb = (n: number): string => (n / 1e6).toFixed(1);
    console.log(
      `throughput ${target.transport.padEnd(3)} offered=${mb(offered / wall)} MB/s ` +
        `forwarded=${mb(forwarded / wall)} MB/s delivered=${((100 * delivered) / offered).toFixed(0)}% ` +
        `relay cpu=${((100 * cpuS) / wall).toFixed(0)}% of a core ` +
        `→ ${mb(forwarded / Math.max(cpuS, 1e-3))} MB/s (${(forwarded / FRAME / Math.max(cpuS, 1e-3) / 1000).toFixed(0)}k frames/s) per relay core`,
    );
    path.close();
    await sleep(200);
  }
  child.send({ stop: true });
  homeEp.close();
}

const N = 10_000;
console.log(
  `memory   core: ${(coreMemory(N) / 1024).toFixed(2)} KiB per open session (${N} sessions)`,
);
for (const kind of ['tcp', 'ws'] as const)
  console.log(
    `memory   ${kind}:  ${((await streamMemory(kind, 500)) / 1024).toFixed(2)} KiB heap per client connection (500 connections; kernel buffers not included)`,
  );
await throughput();
