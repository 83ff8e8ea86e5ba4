// The soak's short mode (issue 21, `npm run soak -- --short`): the whole system in the real-NAT
// lab — two rendezvous nodes with Redis, a relay node, a home, a client agent with a watch, a
// forwarded stream, Home Assistant Core (the cached venv) as the home's device source — while each
// fault is injected once (HA restarted too; HA adds ~25 s to this test). What must hold here, every time: no
// process crashed, no unhandled error in any log, no command applied twice, the final state is
// the last answer, and every fault recovered (its bound is the soak's own target, checked by
// `npm run soak`'s exit code and printed here; this test allows 3× under CI load). Timing targets
// and the remaining known misses are in docs/soak.md.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSoak, soakTable } from '../../lab/soak.js';
import { requireLab, skipLab } from './prereq.js';

test(
  'soak (short): every fault once under one command per second — no crash, nothing doubled, every fault recovered',
  { skip: skipLab, timeout: 300_000 },
  async () => {
    requireLab();
    const r = await runSoak({
      minutes: 0,
      short: true,
      streams: true,
      ha: true,
      progress: () => {},
    });
    for (const line of soakTable(r).split('\n')) console.log(`# ${line}`);
    const why = JSON.stringify({ ...r, rss: undefined });
    assert.deepEqual(r.crashes, [], why);
    assert.deepEqual(r.logProblems, [], why);
    assert.equal(r.doubled, 0, why);
    assert.ok(!r.missed.some((m) => m.startsWith('final state')), `final state: ${why}`);
    assert.ok(r.commands >= 60, `one command per second: ${why}`);
    assert.ok(r.applied >= r.commands * 0.8, why);
    for (const f of r.faults)
      assert.ok(
        f.recoverMs !== null && f.recoverMs <= 3 * f.boundMs,
        `${f.fault} recovered in ${f.recoverMs} ms (bound ${f.boundMs}): ${why}`,
      );
    assert.equal(r.faults.length, 11, why);
    assert.ok(
      r.faults.some((f) => f.fault === 'ha-restart'),
      why,
    );
    assert.equal(r.ha?.restartsMs.length, 1, why);
  },
);
