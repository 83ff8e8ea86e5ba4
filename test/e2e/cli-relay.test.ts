// The relay from end to end with real processes (issue 10): a paired client forced onto the relay
// (--relay only, as for symmetric × symmetric) gets device answers over UDP, TCP and WebSocket,
// end-to-end encrypted; an unpaired one is refused by the home; a watcher over the relay is cut
// off at the byte cap with its reason while other sessions carry on.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BIN, jsonLine, pairedStack, Procs, run } from '../support/cli.js';

// Ports from the pid: other worktrees run their own suites on this machine at the same time.
// Below the ephemeral range (32768+), so no socket bound to port 0 elsewhere can take it.
const PORT = 10_000 + (process.pid % 10_000);
const RV = `127.0.0.2:${PORT}`;
const TCP = `127.0.0.2:${PORT + 1}`;
const WS = `127.0.0.2:${PORT + 2}`;
const procs = new Procs();
after(() => procs.stopAll());

test(
  'paired client relayed over udp, tcp and ws; stranger refused',
  { timeout: 60_000 },
  async () => {
    const { dir, homeId, clients } = await pairedStack(procs, {
      rvArgs: ['--listen', RV, '--relay-tcp', String(PORT + 1), '--relay-ws', String(PORT + 2)],
      rvReady: 'relay listening on websocket',
      homeListen: `127.0.0.3:${PORT + 3}`,
      clients: ['phone'],
    });
    const phone = clients.phone as string;
    const stranger = join(dir, 'stranger');
    assert.equal(run(['client', 'init', '--state', stranger]).status, 0);

    const base = ['--home', homeId, '--bind', '127.0.0.4', '--relay', 'only', '--json'];
    for (const [transport, addr] of [
      ['udp', RV],
      ['tcp', TCP],
      ['ws', WS],
    ] as const) {
      const via = ['--relay-transport', transport, '--relay-addr', addr];
      const c = run(['client', 'connect', '--state', phone, ...base, ...via]);
      assert.equal(c.status, 0, c.stdout + c.stderr);
      const report = jsonLine(c.stdout);
      assert.equal(report.path, 'relayed');
      assert.equal(report.transport, transport);
      assert.equal(report.relay, addr);
      assert.equal(report.secure, true);
      assert.equal(report.home, homeId);
    }
    // A device answer over the TCP relay (the home lets a paired client in 5 times in a burst).
    const via = ['--relay-transport', 'tcp', '--relay-addr', TCP];
    const set = run(['client', 'set', 'light.kitchen', 'on', '--state', phone, ...base, ...via]);
    assert.equal(set.status, 0, set.stdout + set.stderr);
    assert.equal(jsonLine(set.stdout).state, 'on');
    // The stranger knows the home (copied the home list) but was never paired: the home says no.
    copyFileSync(join(phone, 'homes.json'), join(stranger, 'homes.json'));
    const refused = run(['client', 'connect', '--state', stranger, ...base]);
    assert.equal(refused.status, 1);
    assert.match(String(jsonLine(refused.stdout).error), /refused/);
  },
);

test(
  'a watcher over the relay is cut off at the byte cap, with the reason',
  { timeout: 120_000 },
  async () => {
    const rv = `127.0.0.2:${PORT + 10}`;
    await procs.start(
      ['rendezvous', '--listen', rv, '--relay-max-bytes', '2000'],
      'rendezvous listening',
    );
    await procs.start(
      ['home', '--id', 'capped', '--rendezvous', rv, '--listen', `127.0.0.3:${PORT + 11}`],
      'registered with rendezvous',
    );
    const args = ['--home', 'capped', '--rendezvous', rv, '--relay', 'only', '--json'];
    const watcher = spawn(process.execPath, [BIN, 'client', 'watch', ...args, '--duration', '90'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    watcher.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => watcher.on('exit', r));
    await new Promise((r) => setTimeout(r, 1500));
    // Paced under the relay's new-session rate per client IP (2/s).
    // Bounded by the toggles, not by time: a loaded machine runs fewer per second.
    for (let i = 0; i < 40 && watcher.exitCode === null; i++) {
      await new Promise((r) => setTimeout(r, 300));
      const set = run([
        'client',
        'set',
        'light.kitchen',
        'toggle',
        ...args,
        '--bind',
        `127.0.0.${5 + (i % 8)}`,
      ]);
      assert.equal(set.status, 0, `other sessions carry on: ${set.stdout}${set.stderr}`);
    }
    const code = await Promise.race([
      exited,
      new Promise((r) => setTimeout(() => r('timeout'), 10_000).unref()),
    ]);
    if (code === 'timeout') watcher.kill();
    assert.equal(code, 1, out);
    const last = JSON.parse(out.trim().split('\n').at(-1) as string) as Record<string, unknown>;
    assert.equal(last.event, 'path');
    assert.equal(last.path, 'closed');
    assert.match(String(last.reason), /over 2000 bytes/);
  },
);
