// A session that starts direct, and a command in flight when its path dies (issue 21 items 3 and
// 6), on the virtual network with the real roles: a port-restricted home, a symmetric client. The
// client's router forgets its mappings (a conntrack flush) while a toggle is in flight: the
// request goes unanswered for 1 s, the path is probed and no longer trusted, the session falls
// back in place onto the relay (no new handshake), the toggle is re-sent there with the same id
// and applied once; then the session finds its way back onto a direct path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reach, closeReached } from '../../src/client/reach.js';
import { DeviceClient } from '../../src/devices/rpc-client.js';
import { PRESETS } from '../../src/net/virtual/presets.js';
import { HOME_ID, roamWorld, RV } from '../support/roam-world.js';

test('direct session, client router flushed with a toggle in flight: carried over the relay, applied once, then direct again', async () => {
  const w = roamWorld(PRESETS.port, PRESETS.symmetric);
  try {
    const r = await w.settle(
      reach(
        w.clientEnv,
        { home: HOME_ID, rendezvous: RV, keepaliveMs: 15_000, sockets: 64 },
        { identity: w.clientKeys, homeDh: w.homeKeys.dhPublic },
        { mode: 'auto', transport: 'udp' },
      ),
    );
    assert.notEqual(r.report.path, 'relayed', 'the session starts direct');
    assert.equal(r.upgrade?.phase, 'direct');
    const clock = w.world.clock;
    const dc = new DeviceClient(r.channel, clock, w.world.rng, {
      timeoutMs: 5000,
      resolveMs: 15_000,
    });
    dc.onSuspect(() => r.upgrade!.suspect());
    const changes: string[] = [];
    r.paths!.onChange((c) => {
      changes.push(`${c.kind}: ${c.reason}`);
      dc.pathChanged();
    });
    let applied = 0;
    w.house.subscribe((s) => {
      if (s.entity_id === 'light.kitchen') applied++;
    });
    const toggle = async (): Promise<{ state: string; ms: number }> => {
      const t0 = clock.now();
      const st = await w.settle(dc.call('light.kitchen', { service: 'toggle' }));
      return { state: st.state, ms: clock.now() - t0 };
    };
    const answers: string[] = [];
    for (let i = 0; i < 3; i++) answers.push((await toggle()).state);

    // The client's router forgets everything: its next packets leave from a new public port,
    // which the home's router (port-restricted) drops. A toggle is in flight at that moment.
    w.clientSite.nats[0]!.reboot();
    const lost = await toggle();
    answers.push(lost.state);
    console.log(
      `# direct path flushed under a toggle: answered after ${lost.ms} ms (virtual), now ${r.paths!.path.kind}; ` +
        `suspicions ${r.upgrade.stats.suspicions}, fall-backs ${r.upgrade.stats.fallbacks}, re-sends ${dc.stats.resent}`,
    );
    assert.equal(r.paths!.path.kind, 'relayed', 'fell back in place onto the relay');
    assert.match(changes[0] ?? '', /^relayed: direct path lost \(a request went unanswered/);
    assert.ok(lost.ms <= 2500, `answered after ${lost.ms} ms`);
    assert.equal(r.upgrade.stats.fallbacks, 1);

    // Then it looks for a direct path again, and finds one (the new mapping is punched).
    for (let i = 0; i < 300 && r.paths!.path.kind === 'relayed'; i++) await w.run(100);
    assert.notEqual(r.paths!.path.kind, 'relayed', `back on a direct path: ${changes.join('; ')}`);
    for (let i = 0; i < 3; i++) answers.push((await toggle()).state);

    assert.deepEqual(answers, ['on', 'off', 'on', 'off', 'on', 'off', 'on']);
    assert.equal(applied, 7, 'every toggle applied exactly once');
    assert.equal(w.house.get('light.kitchen')?.state, 'on');
    assert.equal(w.servers.length, 1, 'one Noise session throughout: no new handshake');
    assert.equal(w.servers[0]!.stats.requests, 7);
    dc.close();
    closeReached(r);
  } finally {
    w.close();
  }
});
