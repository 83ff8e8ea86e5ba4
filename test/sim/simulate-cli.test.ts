// `porthole simulate` in-process: one JSON object per pair and line, the table otherwise, and
// usage errors that name the presets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import { registerSimulate } from '../../src/cli/simulate-cmd.js';

/** Runs `porthole simulate ARGS`, returning what it wrote to stdout. */
async function simulate(args: string[]): Promise<string> {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {} });
  registerSimulate(program);
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  // Only the command's text: the test runner's own (binary) reports pass through while it waits.
  process.stdout.write = (chunk: string | Uint8Array, ...rest: never[]) => {
    if (typeof chunk !== 'string') return write(chunk, ...rest);
    out.push(chunk);
    return true;
  };
  try {
    // The action loads the simulator when it runs (a dynamic import): parse asynchronously.
    await program.parseAsync(['simulate', ...args], { from: 'user' });
  } finally {
    process.stdout.write = write;
  }
  return out.join('');
}

test('--json prints exactly one object per pair and line, with the preset names', async () => {
  const text = await simulate([
    '--trials',
    '4',
    '--pairs',
    'port:symmetric,cgnat-port:port',
    '--json',
  ]);
  const lines = text.trim().split('\n');
  assert.equal(lines.length, 2);
  const rows = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    rows.map((r) => [r.home, r.client, r.trials]),
    [
      ['port', 'symmetric', 4],
      ['cgnat-port', 'port', 4],
    ],
  );
  for (const r of rows) {
    for (const k of ['success', 'theory', 'p50ms', 'p95ms', 'packets', 'sockets'])
      assert.equal(typeof r[k], 'number', `${k} in ${JSON.stringify(r)}`);
  }
  assert.equal(rows[1]!.success, 1);
});

test('the table has a header and a row per pair; the same seed prints the same table', async () => {
  const args = ['--trials', '3', '--pairs', 'restricted:symmetric', '--seed', '9'];
  const a = await simulate(args);
  assert.match(a, /^home\s+client\s+trials\s+success\s+theory/);
  assert.match(a, /\nrestricted\s+symmetric\s+3\s+100\.0%\s+100\.0%/);
  assert.equal(await simulate(args), a);
});

test('an unknown preset is a usage error naming the valid ones', async () => {
  await assert.rejects(
    () => simulate(['--pairs', 'port:moon']),
    /"port:moon" is not HOME:CLIENT with presets from: none, full, restricted, port, symmetric/,
  );
});
