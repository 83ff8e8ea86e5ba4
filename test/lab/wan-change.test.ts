// The real-NAT lab: a router's public address changes mid-session with a watch running (issue 11).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runWanChangeLab, type WanCase, type WanResult } from '../../lab/wan-change.js';
import { requireLab, skipLab } from './prereq.js';

/** Consecutive repeats removed: a resync re-prints the state the watch already showed. */
const collapse = (xs: string[]): string[] => xs.filter((x, i) => i === 0 || xs[i - 1] !== x);

function check(r: WanResult): void {
  console.log(
    `# wan-change ${r.case}: ${JSON.stringify({
      resumeMs: r.resumeMs,
      commandsApplied: r.answers.length,
      failedSets: r.failedSets,
      pushesSeen: r.kitchen.length - r.resyncs,
      pushesExpected: r.expected.length,
      resyncs: r.resyncs,
      attempts: r.attempts,
      reconnects: r.reconnects,
      detectMs: r.detectMs,
      reconnectMs: r.reconnectMs,
      moved: r.moved,
    })}`,
  );
  const why = JSON.stringify(r);
  assert.ok(r.resumeMs !== null, `never resumed: ${why}`);
  assert.ok(r.answers.length >= 6, why);
  // Each toggle answered the next state: none was lost, none applied twice.
  assert.deepEqual(r.answers, r.expected, why);
  assert.equal(r.finalState, r.expected.at(-1), why);
  // The watch showed every state once, in order (a resync may re-print the current one).
  assert.deepEqual(collapse(r.kitchen), r.expected, why);
  assert.ok(r.kitchen.length - r.resyncs <= r.expected.length, why);
  // Roaming carries the agent when the home's router lets the new address in; otherwise the
  // session falls back in place onto the relay (issue 21), no reconnect. When both moved it falls
  // back too, or (the relay not yet knowing the home's new address) reconnects in one connect.
  if (r.case === 'agent' || r.case === 'agent-filtered') assert.equal(r.reconnects, 0, why);
  if (r.case === 'both') assert.ok(r.reconnects === 0 || r.attempts === 1, why);
}

function run(c: WanCase, title: string): void {
  test(title, { skip: skipLab, timeout: 120_000 }, async () => {
    requireLab();
    check(await runWanChangeLab(c));
  });
}

run(
  'oneshot',
  "real NAT: the client router's WAN address changes under a one-shot watch (roaming)",
);
run('agent', "real NAT: the client router's WAN address changes under the client agent");
run(
  'agent-filtered',
  "real NAT: the client router's WAN address changes, the home's router filters the new address; the session falls back onto the relay",
);
run(
  'both',
  'real NAT: both routers change their WAN address; the agent falls back or reconnects via the rendezvous',
);
