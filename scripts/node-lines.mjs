// The fast part of the suite under each maintained Node line (issue 21, "Current Node"): unit
// tests on fakes and on the virtual network — no lab, no end-to-end processes, no services, no
// 2,000-trial statistics (those run under the main suite's Node). The Node binaries come from the
// npm registry's `node` package (official builds; `npm install node@24` brings
// node_modules/.bin/node), cached per major line outside the repo: $PORTHOLE_NODE_CACHE, else
// $XDG_CACHE_HOME/porthole-node, else ~/.cache/porthole-node. Nothing else is downloaded.
//
// `npm test` runs it before the main suite (scripts/run-tests.mjs); alone: `npm run test:node`.
// PORTHOLE_NODE_LINES=22,24 picks the lines (default 22,24,26); =off says so and runs none.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_LINES = ['22', '24', '26'];

/** Folders of dist/test whose tests need no service, no namespace and no other process. */
const FAST_DIRS = [
  'agent',
  'cli',
  'client',
  'devices',
  'discovery',
  'net',
  'ops',
  'portmap',
  'punch',
  'relay',
  'roam',
  'roles',
  'secure',
  'sim',
  'wire',
];
/** In those folders, but driving a real service or running for minutes: main suite only. */
const SLOW_OR_SERVICE = [
  'devices/mqtt.test.js', // mosquitto
  'discovery/loopback-interop.test.js', // coturn's turnutils
  'secure/capture.test.js', // tshark
  'secure/fuzz.test.js', // 100,000 datagrams per role
  'sim/matrix.test.js', // 2,000-trial statistics
  'sim/memory.test.js', // 1,000 trials in a child
];

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.js') ? [p] : [];
  });
}

/** The fast test files under `root`/dist/test. */
export function fastFiles(root) {
  const base = join(root, 'dist/test');
  return FAST_DIRS.flatMap((d) => (existsSync(join(base, d)) ? walk(join(base, d)) : []))
    .filter((f) => !SLOW_OR_SERVICE.some((s) => f.endsWith('/' + s)))
    .sort();
}

function cacheRoot(env) {
  if (env.PORTHOLE_NODE_CACHE) return env.PORTHOLE_NODE_CACHE;
  const xdg = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(xdg, 'porthole-node');
}

const versionOf = (bin) => {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
};

/** node_modules/.bin/node of the line's newest release, installed from the registry if missing. */
function nodeOf(line, env) {
  const dir = join(cacheRoot(env), line);
  const bin = join(dir, 'node_modules', '.bin', 'node');
  if (existsSync(bin) && versionOf(bin)?.startsWith(`v${line}.`)) return bin;
  mkdirSync(dir, { recursive: true });
  process.stderr.write(`node-lines: installing node@${line} from the npm registry into ${dir}\n`);
  // The npm that runs us (npm test), else the one on PATH.
  const npm = env.npm_execpath ? [process.execPath, env.npm_execpath] : ['npm'];
  const r = spawnSync(
    npm[0],
    [
      ...npm.slice(1),
      'install',
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      '--prefix',
      dir,
      `node@${line}`,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'], env, timeout: 10 * 60_000 },
  );
  const v = existsSync(bin) ? versionOf(bin) : undefined;
  if (r.status !== 0 || !v?.startsWith(`v${line}.`))
    throw new Error(`node-lines: could not install node@${line} (npm exit ${r.status})`);
  return bin;
}

/**
 * Runs the fast tests under each line; returns true when every line passed. Its output has no
 * node:test summary lines (dot reporter, one line of its own per Node line), so the main suite's
 * closing lines stay the last ones.
 */
export function runNodeLines(root, env = process.env) {
  const spec = env.PORTHOLE_NODE_LINES ?? DEFAULT_LINES.join(',');
  if (spec === 'off') {
    process.stderr.write('node-lines: PORTHOLE_NODE_LINES=off — not run under other Node lines\n');
    return true;
  }
  const files = fastFiles(root);
  if (files.length === 0) {
    process.stderr.write('node-lines: no test files under dist/test (build first)\n');
    return false;
  }
  let ok = true;
  for (const line of spec.split(',').map((s) => s.trim())) {
    let bin;
    try {
      bin = nodeOf(line, env);
    } catch (e) {
      process.stderr.write(`${e.message}\n`);
      ok = false;
      continue;
    }
    const cache = mkdtempSync(join(tmpdir(), 'porthole-test-cache-'));
    const t0 = Date.now();
    // The same leak guard and per-test limit as the main run (scripts/run-tests.mjs), and a bound
    // on the whole line: these files take about a minute.
    const r = spawnSync(
      bin,
      [
        '--test',
        '--test-concurrency=2',
        '--test-reporter=dot',
        '--test-timeout=300000',
        '--import',
        join(root, 'scripts/test-preload.mjs'),
        ...files,
      ],
      {
        cwd: root,
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...env, XDG_CACHE_HOME: cache },
        timeout: 15 * 60_000,
        killSignal: 'SIGKILL',
      },
    );
    rmSync(cache, { recursive: true, force: true });
    const secs = ((Date.now() - t0) / 1000).toFixed(0);
    const result = r.status === 0 ? 'passed' : `FAILED (exit ${r.status ?? r.signal})`;
    process.stdout.write(
      `node-lines: Node ${versionOf(bin)}: ${files.length} fast test files ${result} in ${secs} s\n`,
    );
    if (r.status !== 0) ok = false;
  }
  return ok;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  process.exit(runNodeLines(root) ? 0 : 1);
}
