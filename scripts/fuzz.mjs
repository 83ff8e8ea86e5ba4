// `npm run fuzz [-- TARGET…]`: the long, coverage-guided run of every fuzz target
// (test/fuzz/targets/) under jazzer.js (libFuzzer in-process), one after another (the machine is
// shared). FUZZ_SECONDS per target (default 60), FUZZ_RUNS to stop at a number of executions. Each target starts from its committed corpus
// (test/fuzz/corpus/<name>/) and keeps what it learns in $FUZZ_WORK/<name>/ (default
// $TMPDIR/porthole-fuzz), never in the repository. Prints executions, edges covered (libFuzzer's
// "cov") and features ("ft") per target as a markdown table; exits 1 if any target found a crash
// (its input: the artifact path printed). Then each target's corpus is replayed once with
// coverage: line and branch coverage of its own sources (FUZZ_COVERAGE=0 skips this;
// FUZZ_SECONDS=0 reports coverage only). docs/fuzzing.md.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { patchAddon } from './jazzer-glibc.mjs';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(join(root, 'package.json'));
const seconds = Number(process.env.FUZZ_SECONDS ?? 60);
/** FUZZ_RUNS: stop a target after this many executions (FUZZ_SECONDS still caps it). */
const runs = Number(process.env.FUZZ_RUNS ?? 0);
const work = process.env.FUZZ_WORK ?? join(tmpdir(), 'porthole-fuzz');

/** Loads jazzer's native addon; on glibc < 2.38 patches the prebuild once (jazzer-glibc.mjs). */
function ensureAddon() {
  const addon = join(
    require.resolve('@jazzer.js/fuzzer/package.json'),
    '..',
    'prebuilds',
    `fuzzer-${process.platform}-${process.arch}.node`,
  );
  try {
    require(addon);
    return;
  } catch (e) {
    if (!/GLIBC_2\.38|GLIBCXX_3\.4\.32/.test(e.message)) throw e;
    console.log(`fuzz: jazzer's prebuilt addon needs a newer glibc; patching ${addon}:`);
    for (const line of patchAddon(addon)) console.log(`  ${line}`);
  }
  require(addon);
}

const { loadTargets } = await import(join(root, 'dist/test/fuzz/registry.js'));
const targets = await loadTargets(process.argv.slice(2));
ensureAddon();
const cli = join(require.resolve('@jazzer.js/core/package.json'), '..', 'dist', 'cli.js');

/**
 * One jazzer invocation over target `t`: its work dir (created), then its committed corpus, the
 * jazzer options common to every mode plus `jazzer`, and libFuzzer's `libfuzzer` after `--`.
 */
function jazzerArgs(t, jazzer, libfuzzer) {
  const dir = join(work, t.name);
  mkdirSync(dir, { recursive: true });
  return [
    cli,
    join(root, 'dist/test/fuzz/jazzer-entry.js'),
    dir,
    join(root, 'test/fuzz/corpus', t.name),
    ...(t.async ? [] : ['--sync']),
    '--includes=dist/src/',
    ...(t.instrument ?? []).map((p) => `--includes=${p}`),
    ...jazzer,
    '--',
    ...libfuzzer,
  ];
}

const jazzer = (t, args, stdio) =>
  spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, PORTHOLE_FUZZ_TARGET: t.name, PORTHOLE_FUZZ_RUNS: String(runs) },
    stdio,
  });

function run(t) {
  const dir = join(work, t.name);
  const args = jazzerArgs(
    t,
    ['--timeout=10000'],
    [
      `-max_total_time=${seconds}`,
      ...(runs ? [`-runs=${runs}`] : []),
      `-max_len=${t.maxLen ?? 4096}`,
      // Lengths up to max_len from the start (libFuzzer otherwise grows them slowly: after 1M
      // STUN runs it had tried nothing over 96 bytes).
      '-len_control=0',
      '-rss_limit_mb=2048',
      '-print_final_stats=1',
      `-artifact_prefix=${dir}/`,
    ],
  );
  const started = Date.now();
  return new Promise((resolve) => {
    const p = jazzer(t, args, ['ignore', 'inherit', 'pipe']);
    let log = '';
    p.stderr.on('data', (d) => {
      log += d;
      if (log.length > 1e6) log = log.slice(-5e5);
      if (process.env.FUZZ_VERBOSE) process.stderr.write(d);
    });
    p.on('close', (code) => {
      const last = [...log.matchAll(/cov: (\d+) ft: (\d+) corp: (\d+)\/(\S+)/g)].at(-1);
      const done = /Done (\d+) runs in (\d+) second/.exec(log);
      const stat = (k) => Number(new RegExp(`stat::${k}:\\s+(\\d+)`).exec(log)?.[1] ?? NaN);
      const artifact = /Test unit written to (\S+)/.exec(log)?.[1];
      if (code !== 0) process.stderr.write(log.slice(-4000));
      const wall = Math.round((Date.now() - started) / 1000);
      // jazzer's async mode (and a stopped run) may print no final stats: then the count that
      // jazzer-entry.ts keeps of the target's calls, else the last status line's, and exec/s
      // over the wall time (start-up included).
      const counted = [...log.matchAll(/^porthole-fuzz: (\d+) executions$/gm)].at(-1)?.[1];
      const status = [...log.matchAll(/^#(\d+)\s/gm)].at(-1)?.[1];
      const execs = done
        ? Number(done[1])
        : Number.isNaN(stat('number_of_executed_units'))
          ? Number(counted ?? status ?? NaN)
          : stat('number_of_executed_units');
      const perSec = Number.isNaN(stat('average_exec_per_sec'))
        ? Math.round(execs / Math.max(wall, 1))
        : stat('average_exec_per_sec');
      resolve({
        name: t.name,
        wall,
        execs,
        perSec,
        cov: last?.[1] ?? '?',
        ft: last?.[2] ?? '?',
        corpus: last ? `${last[3]} (${last[4]})` : '?',
        rss: stat('peak_rss_mb'),
        result:
          code === 0 ? 'no finding' : `FINDING (exit ${code})${artifact ? `: ${artifact}` : ''}`,
      });
    });
  });
}

/**
 * Line and branch coverage of the target's own source files (its `sources`): its corpus — the
 * committed one and what the run learned — replayed once under jazzer's istanbul coverage.
 */
function coverage(t) {
  const out = join(work, t.name, '.coverage');
  const args = jazzerArgs(
    t,
    [
      '--mode=regression',
      '--coverage',
      `--coverage_directory=${out}`,
      '--coverage_reporters=json-summary',
    ],
    ['-runs=0'],
  );
  rmSync(out, { recursive: true, force: true });
  return new Promise((resolve) => {
    const p = jazzer(t, args, 'ignore');
    p.on('close', () => {
      try {
        const summary = JSON.parse(readFileSync(join(out, 'coverage-summary.json'), 'utf8'));
        const mine = Object.entries(summary).filter(([f]) =>
          (t.sources ?? []).some((s) => f.endsWith(join('dist', s.replace(/\.ts$/, '.js')))),
        );
        const sum = (k) =>
          mine.reduce((a, [, v]) => [a[0] + v[k].covered, a[1] + v[k].total], [0, 0]);
        const pct = ([c, n]) => (n ? `${((100 * c) / n).toFixed(1)}% of ${n}` : '?');
        resolve({ lines: pct(sum('lines')), branches: pct(sum('branches')) });
      } catch {
        resolve({ lines: '?', branches: '?' });
      }
    });
  });
}

const n = (x) => (Number.isNaN(x) ? '-' : x.toLocaleString('en'));
const rows = [];
for (const t of targets) {
  let r = { name: t.name, execs: NaN, perSec: NaN, cov: '-', ft: '-', corpus: '-', rss: NaN };
  if (seconds > 0) {
    console.log(`fuzz: ${t.name} for ${seconds} s …`);
    r = await run(t);
    console.log(`fuzz: ${t.name}: ${r.execs} executions, cov ${r.cov}, ft ${r.ft}, ${r.result}`);
  }
  if (process.env.FUZZ_COVERAGE !== '0') {
    Object.assign(r, await coverage(t));
    console.log(`fuzz: ${t.name}: lines ${r.lines}, branches ${r.branches} of its sources`);
  }
  rows.push(r);
}
console.log(
  '\n| target | executions | exec/s | edges (cov) | features (ft) | corpus | wall s | lines of its sources | branches | peak RSS MB | result |',
);
console.log('|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---|');
for (const r of rows)
  console.log(
    `| ${r.name} | ${n(r.execs)} | ${n(r.perSec)} | ${r.cov} | ${r.ft} | ${r.corpus} | ${n(r.wall ?? NaN)} | ${r.lines ?? '-'} | ${r.branches ?? '-'} | ${n(r.rss)} | ${r.result ?? '-'} |`,
  );
process.exit(rows.some((r) => r.result && r.result !== 'no finding') ? 1 : 0);
