// Makes a fresh clone runnable: installs dependencies when missing or stale, then builds.
// Plain Node with no dependencies, because it runs before anything is installed.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const run = (cmd) => execSync(cmd, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
const mtime = (p) => (existsSync(root + p) ? statSync(root + p).mtimeMs : 0);

const marker = 'node_modules/.package-lock.json';
if (!existsSync(root + marker) || mtime('package-lock.json') > mtime(marker)) {
  process.stderr.write('porthole setup: installing dependencies (npm ci)…\n');
  run('npm ci --no-audit --no-fund --loglevel=error');
}
process.stderr.write('porthole setup: building (tsc)…\n');
run('npx --no-install tsc -p tsconfig.json');
