// A real Home Assistant Core for one test file: ensures the cached venv (scripts/ha-venv.mjs
// installs it from PyPI on a fresh machine, once), writes a minimal configuration (http on
// 127.0.0.1, demo, onboarding) into a temp dir, starts `hass -c DIR`, onboards it without a person
// (POST /api/onboarding/users → auth code → POST /auth/token → WebSocket
// auth/long_lived_access_token) and waits until it answers. Fails loudly when it cannot.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haWsCommand, onboardHa } from '../../lab/ha.js';
import { freePort } from './mosquitto.js';

export { haWsCommand };

const root = new URL('../../../', import.meta.url).pathname;

export interface HaInfo {
  version: string;
  hass: string;
  installSeconds: number;
  firstStartSeconds: number;
}

/** The cached venv (installed now when missing: minutes on a fresh machine). */
export function ensureHaVenv(): HaInfo {
  const r = spawnSync(process.execPath, [join(root, 'scripts/ha-venv.mjs'), '--json'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 30 * 60_000,
  });
  if (r.status !== 0) throw new Error(`scripts/ha-venv.mjs failed (exit ${r.status})`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as HaInfo;
}

export interface RunningHa {
  port: number;
  /** ha://127.0.0.1:PORT */
  spec: string;
  http: string;
  dir: string;
  token: string;
  /** A file holding the long-lived token (what `--ha-token-file` reads). */
  tokenFile: string;
  /** Seconds from spawn until HA answered (this start). */
  startSeconds: number;
  stop(): Promise<void>;
  /** Stops HA and starts it again on the same port and config; resolves once it answers HTTP
   *  (the time it answered, Date.now()). */
  restart(): Promise<number>;
  log(): string;
}

async function waitAnswer(http: string, proc: ChildProcess, ms: number, log: () => string) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (proc.exitCode !== null)
      throw new Error(`hass exited (code ${proc.exitCode}):\n${log().slice(-3000)}`);
    try {
      const r = await fetch(`${http}/api/onboarding`, { signal: AbortSignal.timeout(1000) });
      if (r.status < 500) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Home Assistant did not answer within ${ms} ms:\n${log().slice(-3000)}`);
}

function stopProc(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    proc.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

/**
 * Starts a fresh, onboarded Home Assistant with the demo integration; `extraConfig` is appended
 * to its configuration.yaml (e.g. `frontend:` to serve the web UI).
 */
export async function startHomeAssistant(o: { extraConfig?: string } = {}): Promise<RunningHa> {
  const info = ensureHaVenv();
  const { writeHaConfig } = (await import(join(root, 'scripts/ha-venv.mjs'))) as {
    writeHaConfig: (dir: string, port: number) => void;
  };
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'porthole-ha-'));
  writeHaConfig(dir, port);
  if (o.extraConfig) appendFileSync(join(dir, 'configuration.yaml'), o.extraConfig);
  const http = `http://127.0.0.1:${port}`;
  let out = '';
  let proc!: ChildProcess;
  const spawnHa = async (): Promise<number> => {
    proc = spawn(info.hass, ['-c', dir, '--skip-pip'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const me = proc;
    // Never leave an HA behind, whatever happens to this test process.
    const reap = (): void => void me.kill('SIGKILL');
    process.once('exit', reap);
    me.once('exit', () => process.off('exit', reap));
    const keep = (d: Buffer): void => void (out = (out + String(d)).slice(-50_000));
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    await waitAnswer(http, proc, 120_000, () => out);
    return Date.now();
  };
  const t0 = Date.now();
  try {
    await spawnHa();
  } catch (e) {
    await stopProc(proc);
    throw e;
  }
  const startSeconds = (Date.now() - t0) / 1000;
  const token = await onboardHa(http, port, dir).catch(async (e: Error) => {
    await stopProc(proc);
    throw e;
  });
  const tokenFile = join(dir, 'porthole-ha-token');
  writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
  return {
    port,
    spec: `ha://127.0.0.1:${port}`,
    http,
    dir,
    token,
    tokenFile,
    startSeconds,
    log: () => out,
    async stop() {
      await stopProc(proc);
      rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      await stopProc(proc);
      return spawnHa();
    },
  };
}
