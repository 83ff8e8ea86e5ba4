// Runs every compiled test file under dist/test with node's test runner.
// Node 20's runner takes no globs, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runNodeLines } from './node-lines.mjs';

const root = new URL('..', import.meta.url).pathname;
const only = process.argv.slice(2);
function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.js') ? [p] : [];
  });
}
let files = walk(join(root, 'dist/test')).sort();
if (only.length) files = files.filter((f) => only.some((o) => f.includes(o)));
if (files.length === 0) {
  console.error('run-tests: no test files found under dist/test');
  process.exit(1);
}
// The whole suite (no filter) first runs its fast part under the other maintained Node lines
// (scripts/node-lines.mjs), so the closing lines below stay the main run's.
const linesOk = only.length ? true : runNodeLines(root);
// Every `porthole client` a test starts caches its NAT class (src/cli/nat-cache.ts) in this run's
// own dir, never in the user's ~/.cache.
const cache = mkdtempSync(join(tmpdir(), 'porthole-test-cache-'));
const r = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, XDG_CACHE_HOME: cache } },
);
rmSync(cache, { recursive: true, force: true });
process.exit(r.status === 0 && !linesOk ? 1 : (r.status ?? 1));
