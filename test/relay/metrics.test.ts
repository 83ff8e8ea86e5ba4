// The relay core reports to its role's metrics (issue 10): sessions +1 when one is offered, -1
// when it ends (whatever ended it), bytes each way as the stats count them. The rendezvous passes
// its own series (ops/metrics.ts relayMetrics), `porthole relay` its RelayMetrics; the scrapes
// are in test/cluster/relay-redirect.test.ts and test/e2e/cli-relay-node.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RelayDirection } from '../../src/ops/metrics.js';
import { relayWorld } from './world.js';

test('sessions and relayed bytes reach the injected metrics', () => {
  const seen = { sessions: 0, peak: 0, bytes: { to_home: 0, to_client: 0 } };
  const x = relayWorld({
    metrics: {
      relayed: (d: RelayDirection, n: number) => (seen.bytes[d] += n),
      sessions: (delta) => {
        seen.sessions += delta;
        seen.peak = Math.max(seen.peak, seen.sessions);
      },
    },
  });
  const a = x.connect(x.client(), undefined, true);
  const b = x.connect(x.client());
  assert.ok(a.channel?.ready && b.channel?.ready);
  a.channel.send(Buffer.from('ping'));
  x.run(500, () => a.got.length > 0);
  assert.equal(seen.sessions, 2);
  const stats = x.core.stats;
  assert.equal(seen.bytes.to_home, stats.bytesToHome);
  assert.equal(seen.bytes.to_client, stats.bytesToClient);
  assert.ok(seen.bytes.to_home > 0 && seen.bytes.to_client > 0);
  const refused = x.connect(x.client(false));
  assert.equal(refused.opened?.ok, false);
  a.path?.close();
  x.run(200);
  assert.equal(seen.sessions, 1, 'the refused and the closed sessions were taken off');
  x.core.close();
  assert.equal(seen.sessions, 0);
  assert.equal(seen.peak, 3);
});
