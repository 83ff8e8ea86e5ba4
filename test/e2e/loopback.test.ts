// End to end over real sockets on loopback: rendezvous, home and client each on their own
// 127.0.0.x address (so the spray only ever reaches the client's address).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connectAsync } from '../../src/client/connector.js';
import { realEnv } from '../../src/net/real-env.js';
import { silentLogger, type SocketAddr } from '../../src/net/types.js';
import { startLocalStack, type LocalStack } from '../../src/cli/local-stack.js';

const env = realEnv(silentLogger);
let stack: LocalStack;
let rvAddr: SocketAddr;
let homeAddr: SocketAddr;

before(async () => {
  stack = await startLocalStack(env, 'loop-home');
  ({ rvAddr, homeAddr } = stack);
});

after(() => stack.close());

test('direct path: the client reaches a known home address in step 1', async () => {
  const r = await connectAsync(env, { home: 'loop-home', rendezvous: rvAddr, direct: homeAddr });
  assert.ok(r.ok, r.ok ? '' : r.error);
  assert.equal(r.report.path, 'direct');
  assert.equal(r.report.home, `127.0.0.3:${homeAddr.port}`);
  assert.equal(r.report.socketsOpened, 1);
  r.connection.close();
});

test('assisted path: steps 2-5 through the rendezvous', async () => {
  const r = await connectAsync(env, { home: 'loop-home', rendezvous: rvAddr, sockets: 50 });
  assert.ok(r.ok, r.ok ? '' : r.error);
  assert.equal(r.report.path, 'punched');
  assert.equal(r.report.home, `127.0.0.3:${homeAddr.port}`);
  assert.ok(r.report.packetsSent >= 2);
  const rtt = await new Promise<number | undefined>((res) => r.connection.ping(1000, res));
  assert.ok(rtt !== undefined && rtt >= 0);
  r.connection.close();
  assert.equal(stack.home.stats.sprays >= 1, true);
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
