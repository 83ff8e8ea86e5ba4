// Nothing read from Redis is trusted: forged directory entries, node entries and pub/sub
// messages are rejected and counted, and the node keeps serving.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createClient } from 'redis';
import { connectAsync } from '../../src/client/connector.js';
import { HomeAgent } from '../../src/home/agent.js';
import { realEnv } from '../../src/net/real-env.js';
import { silentLogger } from '../../src/net/types.js';
import { createMetrics } from '../../src/ops/prom.js';
import { encodeEnvelope } from '../../src/rendezvous/cluster/validate.js';
import { startNode, until, type TestNode } from '../support/cluster.js';
import { startRedis, type RedisServer } from '../support/redis.js';

const env = realEnv(silentLogger);
let redis: RedisServer;
let node: TestNode;
const metrics = createMetrics('rendezvous', { defaults: false });
let c: ReturnType<typeof createClient>;

before(async () => {
  redis = await startRedis();
  node = await startNode(env, redis.url, 'node-g', { metrics });
  await until('redis up', 5000, () => node.cluster.link.up);
  c = createClient({ url: redis.url });
  await c.connect();
});
after(async () => {
  c.destroy();
  await node.close();
  await redis.stop();
});

async function metric(name: string, label: string): Promise<number> {
  const text = await metrics.text();
  const line = text.split('\n').find((l) => l.startsWith(name) && l.includes(label));
  return line ? Number(line.split(' ').pop()) : 0;
}

function assist(homeId: string) {
  return connectAsync(env, {
    home: homeId,
    rendezvous: node.addr,
    bindIp: '127.0.0.4',
    assistRetransmit: { rtoMs: 200, maxRtoMs: 400, maxSends: 3 },
  });
}

test('forged directory entries are rejected and counted; the assist fails as unknown', async () => {
  const now = Date.now();
  const forged = {
    'f-text': 'not json at all',
    'f-node': JSON.stringify({ n: 'bad node id!', a: '127.0.0.2:1', x: now + 1000 }),
    'f-addr': JSON.stringify({ n: 'node-x', a: 'evil.example:80', x: now + 1000 }),
    'f-expiry': JSON.stringify({ n: 'node-x', a: '127.0.0.2:1', x: now + 365 * 86_400_000 }),
    'f-huge': 'x'.repeat(100_000),
    'f-array': '[1,2,3]',
  };
  for (const [id, v] of Object.entries(forged)) await c.set(`ph:home:${id}`, v);
  for (const id of Object.keys(forged)) {
    const r = await assist(id);
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.error, /not registered/);
  }
  assert.ok((await metric('porthole_cluster_rejected_total', 'source="directory"')) >= 6);
});

test('garbage pub/sub messages are rejected and counted; the node still serves', async () => {
  const before = node.cluster.forwarder.rejected;
  const assistBytes = (tx: number) =>
    encodeEnvelope({
      kind: 'assist',
      from: 'node-x',
      client: { ip: '127.0.0.4', port: 9 },
      size: 128,
      msg: {
        type: 'assist',
        tx,
        homeId: 'h',
        session: '0011223344556677',
        mode: 'patent',
        auth: new Uint8Array(0),
      },
    });
  const garbage = [
    'x',
    '{}',
    '[]',
    'y'.repeat(50_000),
    // An answer for a session this node never forwarded: would make it send to any address.
    JSON.stringify({ v: 1, k: 'send', f: 'node-x', s: '0011223344556677', b: 'UEgBEQAAAAEBAAA=' }),
    assistBytes(1).replace('127.0.0.4:9', 'not-an-address'),
    assistBytes(2).replace('"s":"0011223344556677"', '"s":"ffffffffffffffff"'),
    assistBytes(3).replace('"z":128', '"z":99999'),
    assistBytes(4).replace('"f":"node-x"', '"f":"node-g"'),
  ];
  for (const g of garbage) await c.publish('ph:fwd:node-g', g);
  await until(
    'all rejected',
    3000,
    () => node.cluster.forwarder.rejected - before >= garbage.length,
  );
  assert.equal(node.cluster.forwarder.rejected - before, garbage.length);
  assert.ok((await metric('porthole_cluster_rejected_total', 'source="pubsub"')) >= garbage.length);

  // Garbage in the membership set is ignored too.
  await c.sAdd('ph:nodes', ['bad id!', 'node-y']);
  await c.set('ph:node:node-y', '{"n":"someone-else","a":"127.0.0.2:1"}');
  const nodes = await node.cluster.membership.nodes();
  assert.deepEqual(
    nodes.map((n) => n.node),
    ['node-g'],
  );

  // Still serving: a home on this node is reached.
  const home = new HomeAgent(env, {
    id: 'h-still',
    rendezvous: node.addr,
    listen: { ip: '127.0.0.3', port: 0 },
  });
  home.start();
  try {
    await until('home registered', 5000, () => home.stats.registered);
    const r = await assist('h-still');
    assert.ok(r.ok, r.ok ? '' : r.error);
    r.connection.close();
  } finally {
    home.close();
  }
});
