// The ops endpoint scraped over HTTP while a connect happens, and the label set staying bounded
// with 10,000 homes registered.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectAsync } from '../../src/client/connector.js';
import { HomeAgent } from '../../src/home/agent.js';
import { whenBound } from '../../src/net/node-udp.js';
import { realEnv } from '../../src/net/real-env.js';
import { silentLogger } from '../../src/net/types.js';
import { startOpsServer } from '../../src/ops/http.js';
import { createMetrics, type Metrics } from '../../src/ops/prom.js';
import { RendezvousServer } from '../../src/rendezvous/server.js';
import { decode, encode, REQUEST_PAD } from '../../src/wire/messages.js';
import { until } from '../support/cluster.js';

const env = realEnv(silentLogger);

function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

async function serve(metrics: Metrics, server: RendezvousServer) {
  metrics.rendezvous.observe(() => server.stats);
  return startOpsServer(
    { ip: '127.0.0.1', port: 0 },
    {
      metrics: () => metrics.text(),
      contentType: metrics.contentType,
      readiness: () => ({ ready: true, detail: 'ready' }),
    },
  );
}

test('/metrics counters move as a connect happens; /healthz and /readyz answer', async () => {
  const metrics = createMetrics('rendezvous');
  const server = new RendezvousServer(env, {
    listen: { ip: '127.0.0.2', port: 0 },
    metrics: metrics.rendezvous,
  });
  server.start();
  const rv = await whenBound(server.endpoint!);
  const ops = await serve(metrics, server);
  const url = `http://127.0.0.1:${ops.address.port}`;
  const home = new HomeAgent(env, {
    id: 'm-home',
    rendezvous: rv,
    listen: { ip: '127.0.0.3', port: 0 },
  });
  try {
    const before = await (await fetch(`${url}/metrics`)).text();
    assert.equal(value(before, 'porthole_registrations_total{role="rendezvous"}'), 0);
    home.start();
    await until('home registered', 5000, () => home.stats.registered);
    const r = await connectAsync(env, {
      home: 'm-home',
      rendezvous: rv,
      bindIp: '127.0.0.4',
      sockets: 20,
    });
    assert.ok(r.ok, r.ok ? '' : r.error);
    r.connection.close();
    const res = await fetch(`${url}/metrics`);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const after = await res.text();
    assert.equal(value(after, 'porthole_registrations_total{role="rendezvous"}'), 1);
    assert.equal(value(after, 'porthole_assists_total{outcome="accepted",role="rendezvous"}'), 1);
    assert.equal(value(after, 'porthole_readies_total{role="rendezvous"}'), 1);
    assert.equal(value(after, 'porthole_homes_registered{role="rendezvous"}'), 1);
    assert.match(after, /nodejs_eventloop_lag_seconds/);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    assert.equal((await fetch(`${url}/nope`)).status, 404);
  } finally {
    home.close();
    server.close();
    await ops.close();
  }
});

test('10,000 homes: the label set stays bounded and holds no id or address', async () => {
  const metrics = createMetrics('rendezvous', { defaults: false });
  const server = new RendezvousServer(env, {
    listen: { ip: '127.0.0.2', port: 0 },
    metrics: metrics.rendezvous,
    perIpLimit: { ratePerSec: 1e6, burst: 1e6, maxKeys: 16 },
  });
  server.start();
  const rv = await whenBound(server.endpoint!);
  metrics.rendezvous.observe(() => server.stats);
  const sock = env.net.open({ ip: '127.0.0.3' });
  let answers = 0;
  // Only `registered` paces the batches: a rendezvous may add a serverInfo after it (seam §8), and
  // counting that too let the next batch go before this one was read.
  sock.onDatagram((d) => {
    const r = decode(d);
    if (r.ok && r.msg.type === 'registered') answers++;
  });
  try {
    const homes = 10_000;
    for (let i = 0; i < homes; i += 500) {
      for (let j = i; j < i + 500; j++) {
        const reg = {
          type: 'register' as const,
          tx: j,
          homeId: `home-${j}`,
          locals: [],
          auth: new Uint8Array(0),
        };
        sock.send(encode(reg, REQUEST_PAD), rv);
      }
      // Paced: the next batch only once this one is answered (no socket buffer overflow).
      await until('a batch answered', 5000, () => answers >= i + 500);
    }
    // Drops of every kind, with ids that must not become labels; paced like the registrations
    // (a burst of 600 can overflow the socket buffer on a loaded machine, and nothing answers
    // a drop to pace by).
    for (let i = 0; i < 200; i += 50) {
      for (let j = i; j < i + 50; j++) {
        sock.send(encode({ type: 'keepalive', tx: j, homeId: `ghost-${j}` }, REQUEST_PAD), rv);
        sock.send(encode({ type: 'punch', session: '0011223344556677' }), rv);
        sock.send(new Uint8Array([j, 1, 2]), rv);
      }
      await until('drops counted', 5000, () => server.stats.received >= homes + 3 * (i + 50));
    }
    const text = await metrics.text();
    const series = text.split('\n').filter((l) => l.startsWith('porthole_'));
    console.log(`metrics: ${series.length} series with ${server.stats.homes} homes registered`);
    assert.equal(server.stats.homes, homes);
    assert.ok(series.length < 100, `${series.length} series`);
    assert.ok(
      !/home-|ghost-|127\.0\.0|0011223344556677/.test(text),
      'an id or address became a label',
    );
  } finally {
    sock.close();
    server.close();
  }
});
