// End to end over real sockets on loopback: rendezvous, home and client each on their own
// 127.0.0.x address (so the spray only ever reaches the client's address).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Connection } from '../../src/client/connection.js';
import { connectAsync } from '../../src/client/connector.js';
import { serveApp } from '../../src/home/secure-peers.js';
import { realEnv } from '../../src/net/real-env.js';
import { silentLogger, type SocketAddr } from '../../src/net/types.js';
import { startLocalStack, type LocalStack } from '../support/local-stack.js';

const env = realEnv(silentLogger);
let stack: LocalStack;
let rvAddr: SocketAddr;
let homeAddr: SocketAddr;

before(async () => {
  stack = await startLocalStack(env, 'loop-home');
  ({ rvAddr, homeAddr } = stack);
  // The home's application: echo every message back.
  serveApp(stack.home, undefined, (ch) => ch.onMessage((d) => ch.send(d)));
});

/** Sends `text` over the connection and resolves with the echo (rejects after 2 s). */
function echo(conn: Connection, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no echo of "${text}"`)), 2000);
    conn.onMessage((d) => {
      clearTimeout(timer);
      resolve(Buffer.from(d).toString());
    });
    conn.send(Buffer.from(text));
  });
}

const ping = (conn: Connection): Promise<number | undefined> =>
  new Promise((res) => conn.ping(1000, res));

after(() => stack.close());

test('direct path: the client reaches a known home address in step 1', async (t) => {
  const r = await connectAsync(env, { home: 'loop-home', rendezvous: rvAddr, direct: homeAddr });
  assert.ok(r.ok, r.ok ? '' : r.error);
  t.after(() => r.connection.close());
  assert.equal(r.report.path, 'direct');
  assert.equal(r.report.home, `127.0.0.3:${homeAddr.port}`);
  assert.equal(r.report.socketsOpened, 1);
  assert.ok(r.report.packetsSent >= 1 && r.report.packetsSent <= 5, `${r.report.packetsSent}`);
  const rtt = await ping(r.connection);
  assert.ok(rtt !== undefined && rtt >= 0, 'the home answers a ping');
  assert.equal(
    await echo(r.connection, 'hello over the direct path'),
    'hello over the direct path',
  );
  r.connection.close();
});

test('assisted path: steps 2-5 through the rendezvous', async (t) => {
  const r = await connectAsync(env, { home: 'loop-home', rendezvous: rvAddr, sockets: 50 });
  assert.ok(r.ok, r.ok ? '' : r.error);
  t.after(() => r.connection.close());
  assert.equal(r.report.path, 'punched');
  assert.equal(r.report.home, `127.0.0.3:${homeAddr.port}`);
  assert.equal(r.report.attempts, 1, 'one assisted round');
  // The first socket's probes, then up to 50 extra sockets; the home sprays its side.
  assert.ok(
    r.report.socketsOpened >= 1 && r.report.socketsOpened <= 51,
    `${r.report.socketsOpened}`,
  );
  assert.ok(r.report.packetsSent >= 2, `${r.report.packetsSent}`);
  assert.ok(r.report.clientObserved?.startsWith('127.0.0.'), r.report.clientObserved);
  const sprays = stack.home.stats.sprays;
  assert.ok(sprays >= 1, 'the home sprayed');
  const rtt = await ping(r.connection);
  assert.ok(rtt !== undefined && rtt >= 0, 'the home answers a ping');
  const big = 'x'.repeat(1000);
  assert.equal(
    await echo(r.connection, 'hello over the punched path'),
    'hello over the punched path',
  );
  assert.equal(await echo(r.connection, big), big);
  r.connection.close();
});

test('unknown home fails clearly without retrying', async () => {
  const r = await connectAsync(env, { home: 'nobody', rendezvous: rvAddr });
  assert.equal(r.ok, false);
  assert.equal(r.ok ? '' : r.kind, 'unknown-home');
});

test('unreachable rendezvous fails clearly within its retransmission bound', async () => {
  const r = await connectAsync(env, {
    home: 'loop-home',
    rendezvous: { ip: '127.0.0.9', port: 9 },
    assistRetransmit: { rtoMs: 20, maxRtoMs: 40, maxSends: 3 },
  });
  assert.equal(r.ok, false);
  assert.equal(r.ok ? '' : r.kind, 'no-rendezvous');
});
