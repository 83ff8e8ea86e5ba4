// Runs every compiled test file under dist/test with node's test runner.
// Node 20's runner takes no globs, so the files are listed here.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
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
// Every test has a time limit, and the whole run has one: a hung test fails with its name instead
// of holding CI until its own limit kills everything without a word.
const TEST_TIMEOUT_MS = 15 * 60_000;
const SUITE_LIMIT_MS = Number(process.env.PORTHOLE_SUITE_LIMIT_MS ?? 50 * 60_000);
const child = spawn(
  process.execPath,
  [
    '--test',
    '--test-concurrency=2',
    '--test-reporter=spec',
    `--test-timeout=${TEST_TIMEOUT_MS}`,
    '--import',
    join(root, 'scripts/test-preload.mjs'),
    ...files,
  ],
  {
    cwd: root,
    stdio: 'inherit',
    // Its own process group, so the limit below can end every file's process and what they started.
    detached: true,
    env: {
      ...process.env,
      XDG_CACHE_HOME: cache,
      // The Home Assistant venv (scripts/ha-venv.mjs) stays in the user's real cache: minutes to
      // install, so once per machine, not once per run.
      PORTHOLE_HA_CACHE:
        process.env.PORTHOLE_HA_CACHE ??
        join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'porthole'),
      // The previous release the old-and-new test builds (scripts/compat-build.mjs): once per sha.
      PORTHOLE_COMPAT_CACHE:
        process.env.PORTHOLE_COMPAT_CACHE ??
        join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'porthole-compat'),
    },
  },
);
const killGroup = (signal) => {
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
};
const limit = setTimeout(() => {
  console.error(
    `run-tests: the suite ran past its limit of ${SUITE_LIMIT_MS / 60_000} min; ending it. ` +
      'The file that did not report above is the one to look at.',
  );
  killGroup('SIGTERM');
  setTimeout(() => killGroup('SIGKILL'), 5000).unref();
}, SUITE_LIMIT_MS);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => killGroup(sig));
child.on('exit', (code, signal) => {
  clearTimeout(limit);
  // Whatever a test left running in the group (a daemon holding CI's output open) ends with it.
  killGroup('SIGKILL');
  rmSync(cache, { recursive: true, force: true });
  const ok = code === 0 && signal === null;
  process.exit(ok && linesOk ? 0 : 1);
});
