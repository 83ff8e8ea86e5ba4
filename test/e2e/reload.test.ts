// SIGHUP re-reads the home's config.json (flags still win) and restarts its agent in place.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BIN, Procs, run } from '../support/cli.js';

const procs = new Procs();
after(() => procs.stopAll());

function waitFor(text: () => string, re: RegExp, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (re.test(text())) return resolve();
      if (Date.now() > deadline) return reject(new Error(`no ${String(re)} in: ${text()}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

test(
  'home: SIGHUP re-reads config.json and re-registers; rendezvous: SIGHUP keeps serving',
  { timeout: 60_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'porthole-reload-'));
    const home = join(dir, 'home');
    assert.equal(run(['home', 'init', '--state', home]).status, 0);
    await procs.start(['rendezvous', '--listen', '127.0.0.2:27810'], 'rendezvous listening');
    await procs.start(['rendezvous', '--listen', '127.0.0.2:27820'], 'rendezvous listening');
    writeFileSync(
      join(home, 'config.json'),
      JSON.stringify({ rendezvous: '127.0.0.2:27810', keep: 1 }),
    );
    const p = spawn(
      process.execPath,
      [
        BIN,
        '--log-level',
        'info',
        'home',
        '--state',
        home,
        '--listen',
        '127.0.0.3:27811',
        '--portmap',
        'off',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    p.stderr.on('data', (b: Buffer) => (log += b.toString()));
    try {
      await waitFor(() => log, /"rendezvous":"127\.0\.0\.2:27810"[^\n]*home agent started/);
      await waitFor(() => log, /registered with rendezvous/);
      const cfg = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      assert.equal(cfg.keep, 1, 'the home keeps keys it does not own in config.json');
      writeFileSync(
        join(home, 'config.json'),
        JSON.stringify({ ...cfg, rendezvous: '127.0.0.2:27820' }),
      );
      p.kill('SIGHUP');
      await waitFor(() => log, /"rendezvous":"127\.0\.0\.2:27820"[^\n]*home agent started/);
      const after = log.slice(log.lastIndexOf('127.0.0.2:27820'));
      await waitFor(
        () => log.slice(log.lastIndexOf('127.0.0.2:27820')),
        /registered with rendezvous/,
      );
      assert.ok(after.length > 0);
      assert.equal(p.exitCode, null, 'the home is still running');
    } finally {
      p.kill('SIGTERM');
    }
  },
);
