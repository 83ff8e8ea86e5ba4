// Installs a real Home Assistant Core from PyPI into a cached virtual environment, for the tests
// and benches that drive the Home Assistant bridge (src/devices/ha-bridge.ts).
//
//   node scripts/ha-venv.mjs            ensure the venv; print its `hass` path as the last line
//   node scripts/ha-venv.mjs --json     the same as one JSON line {hass, python, venv, version, …}
//
// The venv lives outside the repository, in $PORTHOLE_HA_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/
// porthole, as ha-<version>; a finished install leaves a marker file, so a second call returns at
// once. The first install also starts Home Assistant once with the configuration the tests use, so
// the requirements HA installs at runtime (for http, demo and their dependencies) land in the venv
// now and no test start waits on PyPI. Concurrent callers wait on a lock directory.
//
// Python: Home Assistant 2025.5 and later need Python >= 3.13.2; this machine image carries pyenv
// 3.13.0, so the pinned release is 2025.4.4, the newest whose requires-python 3.13.0 satisfies
// (`pip index versions homeassistant` under 3.13.0 lists 2025.4.4 as the newest). Override the
// interpreter with PORTHOLE_HA_PYTHON.
// Plain Node with no dependencies.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { takeLock } from './dir-lock.mjs';

export const HA_VERSION = '2025.4.4';
const MARKER = '.porthole-ready.json';
const LOCK_STALE_MS = 30 * 60_000;

const log = (s) => process.stderr.write(`ha-venv: ${s}\n`);

export function cacheRoot() {
  if (process.env.PORTHOLE_HA_CACHE) return process.env.PORTHOLE_HA_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'porthole');
}

function pyVersion(py) {
  const r = spawnSync(py, ['-c', 'import sys;print("%d.%d.%d"%sys.version_info[:3])'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) return null;
  return r.stdout.trim().split('.').map(Number);
}
const atLeast = (v, want) => {
  for (let i = 0; i < want.length; i++) if (v[i] !== want[i]) return v[i] > want[i];
  return true;
};

/** The newest Python >= 3.13 this machine has (PORTHOLE_HA_PYTHON first, then pyenv, then PATH). */
export function findPython() {
  const candidates = [];
  if (process.env.PORTHOLE_HA_PYTHON) candidates.push(process.env.PORTHOLE_HA_PYTHON);
  for (const root of [
    process.env.PYENV_ROOT,
    join(homedir(), '.pyenv'),
    '/root/.pyenv',
    '/opt/pyenv',
  ]) {
    if (!root || !existsSync(join(root, 'versions'))) continue;
    for (const v of readdirSync(join(root, 'versions'))) {
      candidates.push(join(root, 'versions', v, 'bin', 'python3'));
    }
  }
  candidates.push('python3.13', 'python3');
  // The newest 3.13.x (what the pinned release is built and tested for), else anything newer.
  let best = null;
  const rank = (v) => (v[0] === 3 && v[1] === 13 ? 1 : 0);
  for (const py of candidates) {
    const v = pyVersion(py);
    if (!v || !atLeast(v, [3, 13, 0])) continue;
    if (process.env.PORTHOLE_HA_PYTHON && py === process.env.PORTHOLE_HA_PYTHON) return { py, v };
    if (!best || rank(v) > rank(best.v) || (rank(v) === rank(best.v) && atLeast(v, best.v)))
      best = { py, v };
  }
  if (!best) {
    throw new Error(
      'no Python >= 3.13 found (Home Assistant Core needs it): tried PORTHOLE_HA_PYTHON, ' +
        'pyenv versions under ~/.pyenv and /root/.pyenv, python3.13 and python3 on PATH',
    );
  }
  return best;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** The configuration the tests start Home Assistant with (kept here so the warm start matches). */
export function writeHaConfig(dir, port) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'configuration.yaml'),
    [
      'homeassistant:',
      '  name: Porthole test home',
      '  unit_system: metric',
      '  time_zone: UTC',
      '  latitude: 52.37',
      '  longitude: 4.89',
      '  elevation: 0',
      '  country: NL',
      'http:',
      '  server_host: 127.0.0.1',
      `  server_port: ${port}`,
      'onboarding:',
      // the REST API: tests set a state by hand (an entity made unavailable)
      'api:',
      'demo:',
      'logger:',
      '  default: warning',
      '',
    ].join('\n'),
  );
}

async function waitHttp(url, ms, child) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`hass exited early (code ${child.exitCode})`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (r.status < 500) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Home Assistant did not answer on ${url} within ${ms} ms`);
}

/** Starts HA once so it installs its runtime requirements into the venv; returns seconds. */
async function warmStart(hass) {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-ha-warm-'));
  const port = await freePort();
  writeHaConfig(dir, port);
  const t0 = Date.now();
  const child = spawn(hass, ['-c', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err = (err + d).slice(-20_000)));
  try {
    await waitHttp(`http://127.0.0.1:${port}/api/onboarding`, 15 * 60_000, child);
    // The demo platforms load after http answers; give the runtime installs time to finish.
    await waitHttp(`http://127.0.0.1:${port}/manifest.json`, 60_000, child).catch(() => {});
    return (Date.now() - t0) / 1000;
  } catch (e) {
    throw new Error(`${e.message}\n--- hass stderr (tail) ---\n${err.slice(-4000)}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => {
      const t = setTimeout(() => (child.kill('SIGKILL'), r()), 30_000);
      child.once('exit', () => (clearTimeout(t), r()));
    });
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function ensureHaVenv() {
  const venv = join(cacheRoot(), `ha-${HA_VERSION}`);
  const marker = join(venv, MARKER);
  const hass = join(venv, 'bin', 'hass');
  const ready = () => (existsSync(marker) ? JSON.parse(readFileSync(marker, 'utf8')) : null);
  if (ready()) return ready();
  mkdirSync(cacheRoot(), { recursive: true });
  const lock = `${venv}.lock`;
  takeLock(lock, LOCK_STALE_MS, 2);
  try {
    if (ready()) return ready();
    const { py, v } = findPython();
    // A venv whose pip install finished but whose first start failed is kept (pip-done marker).
    const pipDone = join(venv, '.porthole-pip-done');
    let installS = existsSync(pipDone) ? Number(readFileSync(pipDone, 'utf8')) : -1;
    if (installS < 0) {
      rmSync(venv, { recursive: true, force: true });
      log(`installing homeassistant==${HA_VERSION} into ${venv} (Python ${v.join('.')})…`);
      const t0 = Date.now();
      // Bounded: pip's own per-request timeout and retries, and a limit on the whole step.
      const run = (cmd, args) =>
        execFileSync(cmd, args, { stdio: ['ignore', 2, 2], timeout: 25 * 60_000 });
      run(py, ['-m', 'venv', venv]);
      const vpy = join(venv, 'bin', 'python');
      const pip = (...what) =>
        run(vpy, ['-m', 'pip', 'install', '--quiet', '--timeout=60', '--retries=5', ...what]);
      pip('--upgrade', 'pip');
      pip(`homeassistant==${HA_VERSION}`);
      installS = (Date.now() - t0) / 1000;
      writeFileSync(pipDone, String(installS));
    }
    log(`pip install took ${installS.toFixed(0)} s; first start (HA installs its runtime deps)…`);
    const firstStartS = await warmStart(hass);
    log(`first start answered after ${firstStartS.toFixed(0)} s`);
    const info = {
      version: HA_VERSION,
      venv,
      hass,
      python: v.join('.'),
      installSeconds: Math.round(installS),
      firstStartSeconds: Math.round(firstStartS),
      at: new Date().toISOString(),
    };
    writeFileSync(marker, JSON.stringify(info, null, 2) + '\n');
    return info;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureHaVenv().then(
    (info) => {
      process.stdout.write(
        process.argv.includes('--json') ? JSON.stringify(info) + '\n' : info.hass + '\n',
      );
    },
    (e) => {
      process.stderr.write(`ha-venv: FAILED: ${e.stack ?? e}\n`);
      process.exit(1);
    },
  );
}
