// The client's router reboots mid-session (its mappings flushed: a new public port) while a watch
// runs: the home follows the client to its new mapping at the client's next authenticated frame,
// within two keepalive periods, and no push or command is lost or applied twice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PRESETS } from '../../src/net/virtual/presets.js';
import { roamWorld, secureDevices } from '../support/roam-world.js';

const KEEPALIVE_MS = 2000;

test('a client NAT reboot mid-watch: resumed within 2 keepalives, counts exact', async () => {
  const clientNat = [{ ...PRESETS.port[0], allocation: 'random' as const }];
  const w = roamWorld(PRESETS.restricted, clientNat);
  try {
    const r = await w.connect({ keepaliveMs: KEEPALIVE_MS });
    assert.ok(r.ok);
    const { devices } = await secureDevices(w, r, KEEPALIVE_MS);
    const seen: Record<string, string[]> = {};
    await w.settle(devices.watch((s) => (seen[s.entity_id] ??= []).push(s.state)));
    const toggle = (): Promise<unknown> =>
      w.settle(devices.call('light.kitchen', { service: 'toggle' }));
    for (let i = 0; i < 3; i++) await toggle();

    const nat = w.clientSite.nats[0];
    assert.ok(nat);
    const t0 = w.world.clock.now();
    nat.reboot();
    await w.run(100);
    // A change at home while the client's mapping is gone: the push must still arrive once.
    await w.settle(w.house.execute('light.bedroom', { service: 'toggle' }));
    let resumedMs: number | undefined;
    for (let i = 0; i < 1000 && resumedMs === undefined; i++) {
      await w.run(10);
      if (w.home.stats.peersMoved > 0) resumedMs = w.world.clock.now() - t0;
    }
    console.log(
      `# client NAT reboot: resumed after ${resumedMs} ms (keepalive ${KEEPALIVE_MS} ms)`,
    );
    assert.ok(resumedMs !== undefined && resumedMs <= 2 * KEEPALIVE_MS, `resumed ${resumedMs}`);
    for (let i = 0; i < 3; i++) await toggle();
    await w.run(3000);

    assert.deepEqual(seen['light.kitchen'], ['on', 'off', 'on', 'off', 'on', 'off']);
    assert.deepEqual(seen['light.bedroom'], ['on']);
    assert.equal(w.house.get('light.kitchen')?.state, 'off');
    assert.equal(devices.stats.resyncs, 0);
    assert.equal(w.home.stats.peersMoved, 1);
    devices.close();
  } finally {
    w.close();
  }
});
