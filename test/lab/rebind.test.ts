// The real-NAT lab: conntrack flushed on the client's router mid-session with a watch running.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runRebindLab } from '../../lab/rebind.js';
import { requireLab, skipLab } from './prereq.js';

test(
  'real NAT: client router conntrack flushed mid-watch, the home follows, counts exact',
  { skip: skipLab, timeout: 90_000 },
  async () => {
    requireLab();
    const r = await runRebindLab();
    console.log(
      `# rebind lab: ${JSON.stringify({ kitchen: r.kitchen, afterFlush: r.afterFlush })}`,
    );
    assert.deepEqual(r.kitchen, ['on', 'off', 'on', 'off', 'on', 'off'], r.sets.join('\n'));
    assert.ok(r.afterFlush >= 3);
  },
);
