// Rendezvous nodes in cluster mode on loopback, for the cluster and ops tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { whenBound } from '../../src/net/node-udp.js';
import type { Env, SocketAddr } from '../../src/net/types.js';
import type { Metrics } from '../../src/ops/prom.js';
import { ClusterNode } from '../../src/rendezvous/cluster/node.js';
import { RendezvousServer, type RendezvousOptions } from '../../src/rendezvous/server.js';
import { BIN } from './cli.js';

export interface TestNode {
  id: string;
  server: RendezvousServer;
  cluster: ClusterNode;
  addr: SocketAddr;
  /** graceful false: like a crash (membership and directory keys expire on their own). */
  close(graceful?: boolean): Promise<void>;
}

export async function startNode(
  env: Env,
  redisUrl: string,
  id: string,
  opts: Omit<Partial<RendezvousOptions>, 'metrics'> & { metrics?: Metrics } = {},
): Promise<TestNode> {
  const registrationTtlMs = opts.registrationTtlMs ?? 3000;
  const { metrics, ...rest } = opts;
  const ref: { node?: ClusterNode } = {};
  const server = new RendezvousServer(env, {
    listen: { ip: '127.0.0.2', port: 0 },
    registrationTtlMs,
    ...rest,
    metrics: metrics?.rendezvous,
    // The hooks are attached once the address to advertise is known.
    cluster: {
      onLocalRegister: (h) => ref.node?.onLocalRegister(h),
      onLocalKeepalive: (h) => ref.node?.onLocalKeepalive(h),
      onLocalDeregister: (h) => ref.node?.onLocalDeregister(h),
      forwardAssist: (m, c, s) => ref.node?.forwardAssist(m, c, s) ?? false,
    },
  });
  server.start();
  const addr = await whenBound(server.endpoint!);
  const cluster = new ClusterNode(env, {
    redisUrl,
    nodeId: id,
    advertise: addr,
    registrationTtlMs,
    sessionTtlMs: 30_000,
    heartbeatMs: 500,
    redis: { commandTimeoutMs: 500, maxReconnectDelayMs: 300, connectTimeoutMs: 500 },
    metrics: metrics?.cluster,
    rendezvousMetrics: metrics?.rendezvous,
  });
  ref.node = cluster;
  cluster.start(server);
  const node = cluster;
  await until(`${id} to reach redis`, 5000, () => node.link.up);
  return {
    id,
    server,
    cluster: node,
    addr,
    close: async (graceful = true) => {
      server.close();
      await node.close(graceful);
    },
  };
}

/** Polls `check` every 50 ms until it is true; throws after `ms`. */
export async function until(what: string, ms: number, check: () => boolean | Promise<boolean>) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** One series' value from a /metrics endpoint (`url` without the path); 0 when absent. */
export async function scrape(url: string, series: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/**
 * Starts a `porthole` role (pushed to `procs` for the file's clean-up); resolves once its log
 * says `ready`; `log()` is everything it logged so far.
 */
export async function loggedRole(
  procs: ChildProcess[],
  args: string[],
  ready: string,
): Promise<{ log: () => string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [BIN, '--log-level', 'info', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  procs.push(proc);
  let log = '';
  proc.stderr?.on('data', (b: Buffer) => (log += b.toString()));
  await until(`${args[0]} to log "${ready}"`, 10_000, () => log.includes(ready)).catch(
    (e: Error) => {
      throw new Error(`${e.message}; it logged: ${log}`);
    },
  );
  return { log: () => log, proc };
}
