// The client agent with real processes: `client up` keeps one connection; 50 `client set` in a
// row go through it (no traversal each, no spray limit hit); `client status` reports the path.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { jsonLine, pairedStack, Procs, run } from '../support/cli.js';

const RV = '127.0.0.2:27700';
const procs = new Procs();
after(() => procs.stopAll());

test('client up: 50 commands through one kept connection', { timeout: 180_000 }, async () => {
  const { clients } = await pairedStack(procs, {
    rvArgs: ['--listen', RV],
    homeListen: '127.0.0.3:27701',
    clients: ['phone'],
  });
  const phone = clients.phone as string;

  // Without an agent, status says so (exit 1).
  assert.equal(run(['client', 'status', '--state', phone]).status, 1);
  await procs.start(
    ['client', 'up', '--state', phone, '--bind', '127.0.0.4', '--sockets', '20'],
    'control socket',
  );
  // No --home: exactly one home is paired in the state dir.
  const started = Date.now();
  let last = '';
  for (let i = 0; i < 50; i++) {
    const r = run(['client', 'set', 'light.kitchen', 'toggle', '--state', phone, '--json']);
    assert.equal(r.status, 0, `command ${i}: ${r.stderr}${r.stdout}`);
    last = String(jsonLine(r.stdout).state);
  }
  const secs = (Date.now() - started) / 1000;
  process.stderr.write(`50 client set through the agent: ${secs.toFixed(1)} s\n`);
  assert.equal(last, 'off', '50 toggles from off end at off: each applied exactly once');
  const st = run(['client', 'status', '--state', phone, '--json']);
  assert.equal(st.status, 0, st.stderr);
  const s = jsonLine(st.stdout);
  assert.equal(s.state, 'up');
  assert.equal(s.reconnects, 0, 'one traversal for all 50 commands');
  assert.equal(typeof s.path, 'string');
});
