// Issue 21 item 8: the simulator's memory stays flat. Many trials run in a child process under a
// small heap; the heap after a full GC at trial 1000 must be within a few MB of trial 100's.
// (Each trial used to leave its whole virtual world behind — ~40 KB per trial here, ~0.6 MB with
// the patent's 500 sockets — held by a continuation in the microtask queue, which a synchronous
// simulation never drains: HomeCandidates.close() awaited a port mapper that was not there.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./memory-child.js', import.meta.url));
/** Allowed growth between the two marks: far below the ~35 MB a leaking run shows. */
const MAX_GROWTH = 8 * 1024 * 1024;

function heapAfter(strategy: string, marks: number[]): Record<string, number> {
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', '--max-old-space-size=96', CHILD, strategy, ...marks.map(String)],
    { encoding: 'utf8', timeout: 300_000 },
  );
  assert.equal(r.status, 0, `the child failed (out of memory?): ${r.stderr.slice(-600)}`);
  return JSON.parse(r.stdout) as Record<string, number>;
}

for (const [strategy, from, to] of [
  ['patent', 100, 1000],
  ['auto', 50, 300],
] as const) {
  test(`simulate --strategy ${strategy}: the heap at trial ${to} is the heap at trial ${from}`, () => {
    const heap = heapAfter(strategy, [from, to]);
    const growth = heap[to]! - heap[from]!;
    process.stderr.write(
      `${strategy}: heap after GC ${(heap[from]! / 1e6).toFixed(1)} MB at trial ${from}, ` +
        `${(heap[to]! / 1e6).toFixed(1)} MB at trial ${to}\n`,
    );
    assert.ok(growth < MAX_GROWTH, `grew ${(growth / 1e6).toFixed(1)} MB over ${to - from} trials`);
  });
}
