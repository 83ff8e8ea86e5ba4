// Relay placement in a cluster (issue 10), real processes on a real redis-server: the home holds
// its registration on node A; a client forced onto the relay (--relay only) asks node B, which
// redirects it to A (the owner, from the directory); the device answer comes back relayed via A,
// and A's /metrics count the relayed session and bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonLine, run } from '../support/cli.js';
import { loggedRole, scrape, until } from '../support/cluster.js';
import { freePort } from '../support/mosquitto.js';
import { redisForFile } from '../support/redis.js';

const fixture = redisForFile();
const procs = fixture.procs;

const PORT = 30_000 + (process.pid % 15_000);

const role = (args: string[], ready: string): Promise<{ log: () => string }> =>
  loggedRole(procs, args, ready);

test('a relayOpen to the node without the home is redirected to its owner', async () => {
  const A = `127.0.0.2:${PORT}`;
  const B = `127.0.0.2:${PORT + 3}`;
  const metricsA = `127.0.0.1:${await freePort()}`;
  const node = (id: string, listen: string, extra: string[] = []) =>
    role(
      [
        'rendezvous',
        '--listen',
        listen,
        '--cluster',
        fixture.redis().url,
        '--node-id',
        id,
        ...extra,
      ],
      'cluster mode active',
    );
  const a = await node('relay-a', A, ['--metrics', metricsA]);
  const b = await node('relay-b', B);
  await role(
    ['home', '--id', 'redirected', '--rendezvous', A, '--listen', `127.0.0.3:${PORT + 6}`],
    'registered with rendezvous',
  );
  const args = ['--home', 'redirected', '--rendezvous', B, '--relay', 'only', '--json'];
  let set: ReturnType<typeof run> | undefined;
  // The directory entry is written right after the registration; allow it a moment.
  await until('the device answer through B', 10_000, () => {
    set = run(['client', 'set', 'light.kitchen', 'on', '--bind', '127.0.0.4', ...args]);
    return set.status === 0;
  });
  assert.equal(jsonLine(set!.stdout).state, 'on');
  const connect = run(['client', 'connect', '--bind', '127.0.0.5', ...args]);
  assert.equal(connect.status, 0, connect.stdout + connect.stderr);
  const report = jsonLine(connect.stdout);
  assert.equal(report.path, 'relayed');
  assert.equal(report.relay, A, 'the report names the relay that carried the session');
  await until("A's log of the relayed sessions", 3000, () =>
    a.log().includes('relayed session closed'),
  );
  assert.doesNotMatch(b.log(), /relayed session open/);
  // Relay metrics (the hook on the rendezvous' own series): bytes both ways on A.
  const url = `http://${metricsA}`;
  await until('relayed bytes on A', 3000, async () => {
    const toHome = await scrape(
      url,
      'porthole_relayed_bytes_total{direction="to_home",role="rendezvous"}',
    );
    const toClient = await scrape(
      url,
      'porthole_relayed_bytes_total{direction="to_client",role="rendezvous"}',
    );
    return toHome > 0 && toClient > 0;
  });
});
