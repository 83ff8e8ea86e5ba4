// Issue 21 item 9, as a user meets it: a home stopped with SIGTERM says goodbye; a client asking
// for it right after hears "home offline" at once (no timeout, no relay attempt).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BIN, jsonLine, Procs, run } from '../support/cli.js';

const procs = new Procs();
after(() => procs.stopAll());

test(
  'SIGTERM: the home deregisters; the next connect says "offline" at once',
  { timeout: 60_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'porthole-bye-'));
    const home = join(dir, 'home');
    const phone = join(dir, 'phone');
    const init = run(['home', 'init', '--state', home, '--json']);
    const homeId = String(jsonLine(init.stdout).homeId);
    run(['client', 'init', '--state', phone]);
    await procs.start(['rendezvous', '--listen', '127.0.0.2:27840'], 'rendezvous listening');
    const p = spawn(
      process.execPath,
      [BIN, '--log-level', 'info', 'home', '--state', home, '--rendezvous', '127.0.0.2:27840'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    p.stderr.on('data', (b: Buffer) => (log += b.toString()));
    const exited = new Promise<number | null>((r) => p.once('exit', (c) => r(c)));
    try {
      const deadline = Date.now() + 15_000;
      while (!log.includes('registered with rendezvous') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      const code = String(jsonLine(run(['home', 'pair', '--state', home, '--json']).stdout).code);
      const pair = run(['client', 'pair', code, '--state', phone, '--bind', '127.0.0.4']);
      assert.equal(pair.status, 0, pair.stderr);
      p.kill('SIGTERM');
      assert.equal(await exited, 0, log.slice(-600));
      const t0 = Date.now();
      const r = run([
        'client',
        'connect',
        '--state',
        phone,
        '--home',
        homeId,
        '--bind',
        '127.0.0.4',
      ]);
      const ms = Date.now() - t0;
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /offline/, r.stderr);
      console.log(`home offline answered in ${ms} ms (process start included)`);
    } finally {
      p.kill('SIGKILL');
    }
  },
);
