// A rendezvous cluster of two nodes on one real redis-server: a home on node A, a client asking
// node B; node A dying; Redis stopping and coming back.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createClient } from 'redis';
import { connectAsync } from '../../src/client/connector.js';
import { HomeAgent } from '../../src/home/agent.js';
import { realEnv } from '../../src/net/real-env.js';
import { silentLogger, type SocketAddr } from '../../src/net/types.js';
import { sameAddr } from '../../src/wire/addr.js';
import { startNode, until, type TestNode } from '../support/cluster.js';
import { startRedis, type RedisServer } from '../support/redis.js';

const env = realEnv(silentLogger);
let redis: RedisServer;

before(async () => {
  redis = await startRedis();
});
after(() => redis.stop());

const KEEPALIVE_MS = 500;

function startHome(id: string, [first, ...others]: SocketAddr[]): HomeAgent {
  const home = new HomeAgent(env, {
    id,
    listen: { ip: '127.0.0.3', port: 0 },
    keepaliveMs: KEEPALIVE_MS,
    rendezvous: first!,
    rendezvousNodes: others,
  });
  home.start();
  return home;
}

async function registeredVia(home: HomeAgent, node: SocketAddr, ms: number): Promise<void> {
  let via: SocketAddr | undefined;
  home.onRegistered((_o, v) => (via = v));
  await until('the home to register', ms, () => via !== undefined && sameAddr(via, node));
}

function connect(homeId: string, rendezvous: SocketAddr) {
  return connectAsync(env, {
    home: homeId,
    rendezvous,
    bindIp: '127.0.0.4',
    sockets: 20,
    assistRetransmit: { rtoMs: 200, maxRtoMs: 400, maxSends: 4 },
  });
}

async function directory(homeId: string): Promise<string | null> {
  const c = createClient({ url: redis.url });
  await c.connect();
  try {
    return await c.get(`ph:home:${homeId}`);
  } finally {
    c.destroy();
  }
}

test('a home on node A is reached through node B; when A dies it moves to B', async () => {
  const a = await startNode(env, redis.url, 'node-a');
  const b = await startNode(env, redis.url, 'node-b');
  const home = startHome('h-move', [a.addr, b.addr]);
  const nodes: TestNode[] = [a, b];
  try {
    await registeredVia(home, a.addr, 5000);
    await until('the directory entry', 3000, async () => (await directory('h-move')) !== null);
    const r = await connect('h-move', b.addr);
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.equal(r.report.path, 'punched');
    r.connection.close();
    assert.equal(b.server.stats.assists, 0, 'node B forwarded, it did not run figure 2');
    assert.equal(a.server.stats.assists, 1);

    const died = Date.now();
    await a.close(false);
    const moved = registeredVia(home, b.addr, 10_000);
    await moved;
    const tookMs = Date.now() - died;
    console.log(
      `failover: the home re-registered with node B ${tookMs} ms after node A died ` +
        `(keepalive ${KEEPALIVE_MS} ms: ${(tookMs / KEEPALIVE_MS).toFixed(2)} periods)`,
    );
    // The bound: 2 keepalive periods (+ scheduling slack on a shared machine).
    assert.ok(tookMs <= 2 * KEEPALIVE_MS + 1500, `took ${tookMs} ms`);
    const again = await connect('h-move', b.addr);
    assert.ok(again.ok, again.ok ? '' : again.error);
    again.connection.close();
  } finally {
    home.close();
    for (const n of nodes) await n.close();
  }
});

test('Redis down: local connects go on, cross-node ones fail clearly, all recover', async () => {
  const a = await startNode(env, redis.url, 'node-c');
  const b = await startNode(env, redis.url, 'node-d');
  const home = startHome('h-degraded', [a.addr]);
  try {
    await registeredVia(home, a.addr, 5000);
    await until('the directory entry', 3000, async () => (await directory('h-degraded')) !== null);
    await redis.stop();
    await until('both nodes degraded', 5000, () => !a.cluster.link.up && !b.cluster.link.up);
    assert.match(a.cluster.readiness().detail, /degraded/);

    const local = await connect('h-degraded', a.addr);
    assert.ok(local.ok, local.ok ? '' : local.error);
    local.connection.close();
    const remote = await connect('h-degraded', b.addr);
    assert.equal(remote.ok, false);
    assert.match(remote.ok ? '' : remote.error, /cluster unreachable/);

    await redis.restart();
    await until('both nodes back', 10_000, () => a.cluster.link.up && b.cluster.link.up);
    assert.equal(a.cluster.readiness().ready, true);
    // The restarted Redis is empty: the next keepalive rewrites the entry.
    await until('the entry rewritten', 3000, async () => (await directory('h-degraded')) !== null);
    const back = await connect('h-degraded', b.addr);
    assert.ok(back.ok, back.ok ? '' : back.error);
    back.connection.close();
  } finally {
    home.close();
    await a.close();
    await b.close();
  }
});

test('a home that registers with another node is dropped by the node it left', async () => {
  const a = await startNode(env, redis.url, 'node-e');
  const b = await startNode(env, redis.url, 'node-f');
  const agent = (rv: SocketAddr) =>
    new HomeAgent(env, { id: 'h-left', rendezvous: rv, listen: { ip: '127.0.0.3', port: 0 } });
  const first = agent(a.addr);
  const second = agent(b.addr);
  try {
    first.start();
    await until('registered with A', 5000, () => first.stats.registered);
    assert.equal(a.server.stats.homes, 1);
    // The home comes back through node B (new mapping, node A only cut off, not dead).
    first.close();
    second.start();
    await until('registered with B', 5000, () => second.stats.registered);
    await until('node A dropped its stale entry', 3000, () => a.server.stats.homes === 0);
    const r = await connect('h-left', a.addr);
    assert.ok(r.ok, r.ok ? '' : r.error);
    r.connection.close();
    assert.equal(b.server.stats.assists, 1);
  } finally {
    first.close();
    second.close();
    await a.close();
    await b.close();
  }
});

test('a home that says goodbye leaves the directory at once (issue 21 item 9)', async () => {
  const a = await startNode(env, redis.url, 'node-bye');
  const home = startHome('h-bye', [a.addr]);
  try {
    await registeredVia(home, a.addr, 5000);
    await until('the directory entry', 3000, async () => (await directory('h-bye')) !== null);
    await home.goodbye();
    await until('the entry to go', 2000, async () => (await directory('h-bye')) === null);
    assert.equal(a.server.stats.homes, 0);
  } finally {
    home.close();
    await a.close();
  }
});
