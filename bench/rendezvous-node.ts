// One rendezvous node for bench/rendezvous.ts, in its own process (so its CPU time and heap are
// its own): started with fork(), answers {cmd:'mem'} (heap after two full GCs) and {cmd:'cpu'}.
// Run with --expose-gc. Capacity settings: the per-IP limit is raised (the bench measures the
// node, not its flood guard) and sessions are not capped (the default 10,000 sessions of 30 s
// would cap a sustained assist rate at 333/s: see the report).
import { whenBound } from '../src/net/node-udp.js';
import { realEnv } from '../src/net/real-env.js';
import { silentLogger } from '../src/net/types.js';
import { ClusterNode } from '../src/rendezvous/cluster/node.js';
import { RendezvousServer } from '../src/rendezvous/server.js';

const [ip = '127.0.0.2', redisUrl = '', nodeId = 'bench-1'] = process.argv.slice(2);
const env = realEnv(silentLogger);
const registrationTtlMs = 600_000;
const ref: { node?: ClusterNode } = {};
const server = new RendezvousServer(env, {
  listen: { ip, port: 0 },
  registrationTtlMs,
  maxHomes: 2_000_000,
  maxSessions: 2_000_000,
  perIpLimit: { ratePerSec: 1e6, burst: 1e6, maxKeys: 100_000 },
  cluster: redisUrl
    ? {
        onLocalRegister: (h) => ref.node?.onLocalRegister(h),
        onLocalKeepalive: (h) => ref.node?.onLocalKeepalive(h),
        forwardAssist: (m, c, s) => ref.node?.forwardAssist(m, c, s) ?? false,
      }
    : undefined,
});
server.start();
const addr = await whenBound(server.endpoint!);
if (redisUrl) {
  ref.node = new ClusterNode(env, {
    redisUrl,
    nodeId,
    advertise: addr,
    registrationTtlMs,
    sessionTtlMs: 30_000,
    maxPending: 1_000_000,
  });
  ref.node.start(server);
}

const gc = (globalThis as { gc?: () => void }).gc;
process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'mem') {
    gc?.();
    gc?.();
    process.send?.({ heap: process.memoryUsage().heapUsed, stats: server.stats });
  } else if (m.cmd === 'cpu') {
    const u = process.cpuUsage();
    process.send?.({ cpuMs: (u.user + u.system) / 1000 });
  } else if (m.cmd === 'up') {
    process.send?.({ up: ref.node ? ref.node.link.up : true });
  } else if (m.cmd === 'stop') {
    server.close();
    void (ref.node?.close() ?? Promise.resolve()).then(() => process.exit(0));
  }
});
process.send?.({ addr });
