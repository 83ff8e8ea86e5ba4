// Makes a fresh clone runnable: installs dependencies when missing or stale, then builds.
// With --system (used by `npm test`) it also installs the Debian packages the tests drive.
// Plain Node with no dependencies, because it runs before anything is installed.
import { execSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { ensureSystemDeps } from './system-deps.mjs';

const root = new URL('..', import.meta.url).pathname;
const run = (cmd) => execSync(cmd, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
const mtime = (p) => (existsSync(root + p) ? statSync(root + p).mtimeMs : 0);

const marker = 'node_modules/.package-lock.json';
if (!existsSync(root + marker) || mtime('package-lock.json') > mtime(marker)) {
  process.stderr.write('porthole setup: installing dependencies (npm ci)…\n');
  run('npm ci --no-audit --no-fund --loglevel=error');
}
if (process.argv.includes('--system')) ensureSystemDeps();
process.stderr.write('porthole setup: building (tsc)…\n');
// A clean build, so a deleted source or test never lingers in dist/.
rmSync(root + 'dist', { recursive: true, force: true });
run('node node_modules/typescript/bin/tsc -p tsconfig.json');
// The browser side (the phone app, the dashboard) with esbuild into dist/web/.
run('node scripts/build-web.mjs');
// The real Home Assistant the HA tests drive (scripts/ha-venv.mjs): installed here, before any test
// starts, with its own progress lines, so its minutes (pip builds some wheels from source on a
// fresh machine) are not spent inside a test's time limit. Cached per machine; a no-op when ready.
if (process.argv.includes('--system')) {
  const { ensureHaVenv } = await import('./ha-venv.mjs');
  const t0 = Date.now();
  try {
    const info = await ensureHaVenv();
    process.stderr.write(
      `porthole setup: Home Assistant ${info.version} ready (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`,
    );
  } catch (e) {
    process.stderr.write(
      `\n*** porthole setup: the Home Assistant venv could not be installed: ${e.message}\n` +
        '*** the tests under test/ha will try again and FAIL if it still cannot.\n\n',
    );
  }
}
