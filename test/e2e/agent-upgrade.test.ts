// The client agent with real processes, started on the relay (`client up --relay-first`): its
// kept session moves onto the direct path by itself, `client status` follows, and commands
// through the agent keep working on the one session (no reconnect).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { jsonLine, pairedStack, Procs, run } from '../support/cli.js';

const procs = new Procs();
after(() => procs.stopAll());
const RV = '127.0.0.2:27834';

test(
  'client up --relay-first: the kept session upgrades; status follows; no reconnect',
  { timeout: 90_000 },
  async () => {
    const { clients } = await pairedStack(procs, {
      rvArgs: ['--listen', RV],
      homeListen: '127.0.0.3:27835',
      clients: ['phone'],
    });
    const phone = clients.phone as string;
    await procs.start(
      ['client', 'up', '--state', phone, '--bind', '127.0.0.4', '--sockets', '20', '--relay-first'],
      'control socket',
    );
    const status = (): Record<string, unknown> => {
      const st = run(['client', 'status', '--state', phone, '--json']);
      assert.equal(st.status, 0, st.stderr);
      return jsonLine(st.stdout);
    };
    const end = Date.now() + 20_000;
    let s = status();
    while ((s.state !== 'up' || s.path === 'relayed') && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 250));
      s = status();
    }
    assert.equal(s.state, 'up', JSON.stringify(s));
    assert.notEqual(s.path, 'relayed', `never left the relay: ${JSON.stringify(s)}`);
    for (const state of ['on', 'off', 'on']) {
      const r = run(['client', 'set', 'light.kitchen', state, '--state', phone, '--json']);
      assert.equal(r.status, 0, r.stderr + r.stdout);
      assert.equal(jsonLine(r.stdout).state, state);
    }
    assert.equal(status().reconnects, 0);
  },
);
