// A smoke of `npm run bench:forward` (issue 19): the harness end to end — lab, shaped link
// (tbf, the TUN delay line), file server, direct TCP through the router's port forward and a
// Porthole punched forward — at 0% loss with a 1 MiB file. Asserts only that both fetches
// complete and the first-byte probes answer; numbers are the bench's to print, not this test's.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { requireLab, skipLab } from './prereq.js';

const BENCH = fileURLToPath(new URL('../../bench/forward.js', import.meta.url));

test(
  'bench:forward smoke: direct TCP and Porthole punched through the shaped lab link',
  { skip: skipLab, timeout: 90_000 },
  async () => {
    requireLab();
    const args = ['--only', 'punched', '--loss', '0', '--size', '1', '--cap', '20'].concat([
      '--parallel',
      '0',
      '--idle',
      '0',
      '--warm',
      '2',
      '--json',
    ]);
    const p = spawn(process.execPath, [BENCH, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => p.kill('SIGINT'), 80_000);
    const code = await new Promise<number | null>((r) => p.once('exit', r));
    clearTimeout(timer);
    assert.equal(code, 0, err.slice(-1500));
    const rows = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const variant of ['direct', 'punched']) {
      const g = rows.find((r) => r.kind === 'goodput' && r.variant === variant);
      assert.ok(g, `no goodput line for ${variant}: ${out}`);
      assert.equal(g.complete, true, JSON.stringify(g));
      const f = rows.find((r) => r.kind === 'first-byte' && r.variant === variant);
      assert.ok(f && typeof f.warmMs === 'number', JSON.stringify(f));
    }
    const cold = rows.find((r) => r.kind === 'first-byte' && r.variant === 'punched');
    assert.ok(typeof cold?.coldMs === 'number', JSON.stringify(cold));
    console.log(err.trim().split('\n').slice(-12).join('\n'));
  },
);
