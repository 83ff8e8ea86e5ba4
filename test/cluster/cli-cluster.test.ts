// Two real `porthole rendezvous --cluster` processes on one redis-server: a home on node A, a
// client asking node B, metrics scraped from both; node A killed (SIGKILL) → the home moves to B.
// The home is a real `porthole home --rendezvous A,B --metrics …` process too.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { test } from 'node:test';
import { createClient } from 'redis';
import { connectAsync } from '../../src/client/connector.js';
import { realEnv } from '../../src/net/real-env.js';
import { silentLogger, type SocketAddr } from '../../src/net/types.js';
import { formatAddr } from '../../src/wire/addr.js';
import { BIN } from '../support/cli.js';
import { scrape, until } from '../support/cluster.js';
import { freePort } from '../support/mosquitto.js';
import { redisForFile } from '../support/redis.js';

const env = realEnv(silentLogger);
const fixture = redisForFile();
const procs = fixture.procs;

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
    fixture.redis().url,
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

/** A `porthole home` process; `via` is the node of its last 'registered with rendezvous' line. */
function homeProc(args: string[]): { via: () => string | undefined; at: () => number } {
  const proc = spawn(process.execPath, [BIN, '--log-level', 'info', 'home', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  procs.push(proc);
  let via: string | undefined;
  let at = 0;
  let buf = '';
  proc.stderr?.on('data', (b: Buffer) => {
    buf += b.toString();
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.includes('registered with rendezvous')) continue;
      const m = /"rendezvous":"([^"]+)"/.exec(line);
      if (m) [via, at] = [m[1], Date.now()];
    }
  });
  return { via: () => via, at: () => at };
}

test('rendezvous and home processes: cross-node connect, metrics on both roles, failover on SIGKILL', async () => {
  const a = await node('cli-a');
  const b = await node('cli-b');
  const homeMetrics = `http://127.0.0.1:${await freePort()}`;
  const KEEPALIVE_MS = 1000;
  // One --rendezvous as a comma list, the other repeated: both forms reach the rotation.
  const home = homeProc([
    '--id',
    'h-cli',
    '--listen',
    '127.0.0.3:0',
    '--rendezvous',
    `${formatAddr(a.addr)},${formatAddr(b.addr)}`,
    '--rendezvous',
    formatAddr(a.addr),
    '--keepalive',
    String(KEEPALIVE_MS),
    '--metrics',
    homeMetrics.slice('http://'.length),
  ]);
  const connect = () =>
    connectAsync(env, { home: 'h-cli', rendezvous: b.addr, bindIp: '127.0.0.4', sockets: 20 });
  await until('registered with A', 10_000, () => home.via() === formatAddr(a.addr));
  const c = createClient({ url: fixture.redis().url });
  await c.connect();
  await until('the directory entry', 3000, async () => (await c.get('ph:home:h-cli')) !== null);
  c.destroy();
  assert.equal((await fetch(`${homeMetrics}/readyz`)).status, 200);
  const r = await connect();
  assert.ok(r.ok, r.ok ? '' : r.error);
  r.connection.close();
  const forwarded = 'porthole_assists_total{outcome="forwarded",role="rendezvous"}';
  const accepted = 'porthole_assists_total{outcome="accepted",role="rendezvous"}';
  assert.ok((await scrape(b.metrics, forwarded)) >= 1);
  assert.equal(await scrape(a.metrics, accepted), 1);
  assert.equal((await fetch(`${b.metrics}/readyz`)).status, 200);
  await until('the home counted its spray and punch', 3000, async () => {
    const punched =
      'porthole_punch_outcomes_total{strategy="patent",path="punched",result="ok",role="home"}';
    return (
      (await scrape(homeMetrics, 'porthole_sprays_total{role="home"}')) === 1 &&
      (await scrape(homeMetrics, punched)) === 1
    );
  });
  assert.equal(await scrape(homeMetrics, 'porthole_registrations_total{role="home"}'), 1);

  const died = Date.now();
  a.proc.kill('SIGKILL');
  await until('the home on node B', 10_000, () => home.via() === formatAddr(b.addr));
  const tookMs = home.at() - died;
  console.log(
    `failover (processes): home re-registered with node B ${tookMs} ms after node A was killed ` +
      `(keepalive ${KEEPALIVE_MS} ms: ${(tookMs / KEEPALIVE_MS).toFixed(2)} periods)`,
  );
  const again = await connect();
  assert.ok(again.ok, again.ok ? '' : again.error);
  again.connection.close();
  assert.ok((await scrape(b.metrics, accepted)) >= 1);
  assert.equal(await scrape(homeMetrics, 'porthole_registrations_total{role="home"}'), 2);
});
