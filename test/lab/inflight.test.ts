// The real-NAT lab: a conntrack flush on the client's router under the client agent, one command
// per second (issue 21 item 6): every command applied exactly once, none failed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runInflightLab } from '../../lab/inflight.js';
import { requireLab, skipLab } from './prereq.js';

test(
  'real NAT: port-restricted × symmetric, agent up, conntrack flushed under a command: 50/50 applied once',
  { skip: skipLab, timeout: 120_000 },
  async () => {
    requireLab();
    const r = await runInflightLab(50, 5);
    const sorted = [...r.ms].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    console.log(
      `# inflight lab: ${r.appliedOnce}/${r.commands} applied exactly once, ${r.failed.length} failed; ` +
        `command under the flush ${r.flushedMs} ms; slowest ${sorted.at(-1)} ms, median ${median} ms ` +
        `(through the agent's control socket); watch pushes ${r.pushes}; paths ${r.paths.join(' → ')}`,
    );
    const why = JSON.stringify(r);
    assert.deepEqual(r.failed, [], why);
    assert.equal(r.answers.length, r.commands, why);
    assert.equal(r.appliedOnce, r.commands, why);
    assert.equal(r.pushes, r.commands, `each change shown once: ${why}`);
    assert.equal(r.finalState, r.answers.at(-1), why);
  },
);
