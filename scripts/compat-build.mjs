// Builds the previous release (test/compat/previous-release.json) from this clone's own history,
// for the old-and-new test (test/compat/, issue 21 item 10), and caches the built tree by sha.
//
//   node scripts/compat-build.mjs          ensure the build; print its directory as the last line
//   node scripts/compat-build.mjs --json   the same as one JSON line {dir, sha, cached, ms}
//
// The tree comes from `git archive <sha>` (no checkout, no network), its runtime dependencies
// from its own package-lock.json (`npm ci --omit=dev`: exactly what that release ran), and its
// JavaScript from this tree's TypeScript with --noCheck (a transpile: that release was
// type-checked by its own CI; only src/ is built). It lives in $PORTHOLE_COMPAT_CACHE, else
// ${XDG_CACHE_HOME:-~/.cache}/porthole-compat, as <sha>/; a finished build leaves a marker, so a
// second call returns at once. Concurrent callers wait on a lock directory.
//
// A sha this clone does not have is an error that says what to do — never a silent skip: a
// shallow clone (CI's `fetch-depth: 1`) needs `git fetch --unshallow` (or a depth that reaches
// the sha); a clone that has the history but not the sha needs previous-release.json moved to a
// commit it has.
// Plain Node with no dependencies.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { takeLock } from './dir-lock.mjs';

const root = new URL('..', import.meta.url).pathname;
const MARKER = '.porthole-compat-ready.json';
const LOCK_STALE_MS = 20 * 60_000;
const log = (s) => process.stderr.write(`compat-build: ${s}\n`);

export function previousRelease() {
  return JSON.parse(readFileSync(join(root, 'test/compat/previous-release.json'), 'utf8'));
}

export function cacheRoot() {
  if (process.env.PORTHOLE_COMPAT_CACHE) return process.env.PORTHOLE_COMPAT_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'porthole-compat');
}

const git = (...args) =>
  spawnSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Throws with what to do when this clone cannot build `sha`. */
export function checkHistory(sha) {
  if (git('rev-parse', '--git-dir').status !== 0)
    throw new Error(
      `this is not a git clone (${root}): the old-and-new test builds the previous release ` +
        `${sha} from the repository's history; run it from a clone`,
    );
  const have = () => git('cat-file', '-e', `${sha}^{commit}`).status === 0;
  if (have()) return;
  const shallow = git('rev-parse', '--is-shallow-repository').stdout.trim() === 'true';
  // A clone made with less history (CI's shallow checkouts): try to fetch what is missing from its
  // own origin once, bounded, before failing with what to do.
  if (git('remote', 'get-url', 'origin').status === 0) {
    process.stderr.write(`compat-build: ${sha} not in this clone; fetching it from origin…\n`);
    const fetch = (...args) =>
      spawnSync('git', ['fetch', '--quiet', ...args], {
        cwd: root,
        stdio: ['ignore', 'ignore', 'inherit'],
        timeout: 120_000,
      });
    if (shallow) fetch('--unshallow', 'origin');
    if (!have()) fetch('origin', sha);
    if (have()) return;
  }
  throw new Error(
    shallow
      ? `the previous release ${sha} (test/compat/previous-release.json) is not in this shallow ` +
          `clone: run \`git fetch --unshallow\` (in CI: actions/checkout with fetch-depth: 0) and ` +
          `run the test again`
      : `the previous release ${sha} (test/compat/previous-release.json) is not in this clone's ` +
          `history: fetch it (\`git fetch origin ${sha}\`) or point previous-release.json at the ` +
          `last released commit this clone has`,
  );
}

/** The built previous release: {dir, sha, cached, ms}; builds it on first use. */
export function ensureBuild(sha = previousRelease().sha) {
  const t0 = Date.now();
  const dir = join(cacheRoot(), sha);
  if (existsSync(join(dir, MARKER))) return { dir, sha, cached: true, ms: Date.now() - t0 };
  checkHistory(sha);
  mkdirSync(cacheRoot(), { recursive: true });
  const lock = `${dir}.lock`;
  takeLock(lock, LOCK_STALE_MS);
  try {
    if (existsSync(join(dir, MARKER))) return { dir, sha, cached: true, ms: Date.now() - t0 };
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    log(`building the previous release ${sha.slice(0, 10)} in ${dir} (once per sha)…`);
    const tar = join(tmp, 'src.tar');
    execFileSync('git', ['archive', '--format=tar', '-o', tar, sha], { cwd: root });
    execFileSync('tar', ['-xf', tar, '-C', tmp]);
    rmSync(tar);
    const t1 = Date.now();
    execFileSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: tmp,
      stdio: ['ignore', 'inherit', 'inherit'],
      timeout: 10 * 60_000,
    });
    const npmMs = Date.now() - t1;
    // Only src/ (what the roles run), transpiled by this tree's TypeScript.
    writeFileSync(
      join(tmp, 'tsconfig.compat.json'),
      JSON.stringify({
        extends: './tsconfig.json',
        compilerOptions: { types: [], noCheck: true, sourceMap: false },
        include: ['src/**/*'],
      }),
    );
    const t2 = Date.now();
    const tsc = spawnSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.compat.json'],
      { cwd: tmp, encoding: 'utf8', timeout: 10 * 60_000 },
    );
    const cli = join(tmp, 'dist/src/cli/main.js');
    if (!existsSync(cli))
      throw new Error(`building ${sha} failed (tsc ${tsc.status}): ${tsc.stdout}${tsc.stderr}`);
    const tscMs = Date.now() - t2;
    const info = { sha, builtAt: new Date().toISOString(), npmMs, tscMs, ms: Date.now() - t0 };
    writeFileSync(join(tmp, MARKER), JSON.stringify(info) + '\n');
    renameSync(tmp, dir);
    log(`built in ${info.ms} ms (npm ci ${npmMs} ms, tsc ${tscMs} ms)`);
    return { dir, sha, cached: false, ms: info.ms, npmMs, tscMs };
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const r = ensureBuild();
    process.stdout.write(process.argv.includes('--json') ? JSON.stringify(r) + '\n' : r.dir + '\n');
  } catch (e) {
    log(e.message);
    process.exit(1);
  }
}
