// Two real `porthole rendezvous --cluster` processes on one redis-server: a home on node A, a
// client asking node B, metrics scraped from both; node A killed (SIGKILL) → the home moves to B.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { after, before, test } from 'node:test';
import { createClient } from 'redis';
import { connectAsync } from '../../src/client/connector.js';
import { FailoverHome } from '../../src/home/rendezvous-failover.js';
import { realEnv } from '../../src/net/real-env.js';
import { silentLogger, type SocketAddr } from '../../src/net/types.js';
import { sameAddr } from '../../src/wire/addr.js';
import { BIN } from '../support/cli.js';
import { until } from '../support/cluster.js';
import { freePort } from '../support/mosquitto.js';
import { startRedis, type RedisServer } from '../support/redis.js';

const env = realEnv(silentLogger);
let redis: RedisServer;
const procs: ChildProcess[] = [];

before(async () => {
  redis = await startRedis();
});
after(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await redis.stop();
});

function freeUdpPort(ip: string): Promise<number> {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve) =>
    s.bind({ address: ip, port: 0 }, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    }),
  );
}

async function node(
  id: string,
): Promise<{ addr: SocketAddr; metrics: string; proc: ChildProcess }> {
  const addr = { ip: '127.0.0.2', port: await freeUdpPort('127.0.0.2') };
  const metricsPort = await freePort();
  const args = [
    BIN,
    '--log-level',
    'info',
    'rendezvous',
    '--listen',
    `127.0.0.2:${addr.port}`,
    '--cluster',
    redis.url,
    '--node-id',
    id,
    '--metrics',
    `127.0.0.1:${metricsPort}`,
    '--registration-ttl',
    '3000',
  ];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  procs.push(proc);
  let log = '';
  proc.stderr?.on('data', (b: Buffer) => (log += b.toString()));
  await until(`${id} to reach redis`, 10_000, () => log.includes('cluster mode active'));
  return { addr, metrics: `http://127.0.0.1:${metricsPort}`, proc };
}

async function counter(url: string, series: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

test('rendezvous processes in a cluster: cross-node connect, metrics, failover on SIGKILL', async () => {
  const a = await node('cli-a');
  const b = await node('cli-b');
  const home = new FailoverHome(env, {
    home: { id: 'h-cli', listen: { ip: '127.0.0.3', port: 0 }, keepaliveMs: 500 },
    rendezvous: [a.addr, b.addr],
  });
  let via: SocketAddr | undefined;
  home.onRegistered((_o, v) => (via = v));
  home.start();
  const connect = () =>
    connectAsync(env, { home: 'h-cli', rendezvous: b.addr, bindIp: '127.0.0.4', sockets: 20 });
  try {
    await until('registered with A', 5000, () => via !== undefined && sameAddr(via, a.addr));
    const c = createClient({ url: redis.url });
    await c.connect();
    await until('the directory entry', 3000, async () => (await c.get('ph:home:h-cli')) !== null);
    c.destroy();
    const r = await connect();
    assert.ok(r.ok, r.ok ? '' : r.error);
    r.connection.close();
    const forwarded = 'porthole_assists_total{outcome="forwarded",role="rendezvous"}';
    const accepted = 'porthole_assists_total{outcome="accepted",role="rendezvous"}';
    assert.ok((await counter(b.metrics, forwarded)) >= 1);
    assert.equal(await counter(a.metrics, accepted), 1);
    assert.equal((await fetch(`${b.metrics}/readyz`)).status, 200);

    a.proc.kill('SIGKILL');
    await until('the home on node B', 5000, () => via !== undefined && sameAddr(via, b.addr));
    const again = await connect();
    assert.ok(again.ok, again.ok ? '' : again.error);
    again.connection.close();
    assert.ok((await counter(b.metrics, accepted)) >= 1);
  } finally {
    home.close();
  }
});
