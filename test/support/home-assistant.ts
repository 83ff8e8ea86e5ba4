// A real Home Assistant Core for one test file: ensures the cached venv (scripts/ha-venv.mjs
// installs it from PyPI on a fresh machine, once), writes a minimal configuration (http on
// 127.0.0.1, demo, onboarding) into a temp dir, starts `hass -c DIR`, onboards it without a person
// (POST /api/onboarding/users → auth code → POST /auth/token → WebSocket
// auth/long_lived_access_token) and waits until it answers. Fails loudly when it cannot.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { freePort } from './mosquitto.js';

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

/** One WebSocket command after auth; resolves with its result. */
export function haWsCommand(
  port: number,
  accessToken: string,
  msg: Record<string, unknown>,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/websocket`);
    const t = setTimeout(() => (ws.terminate(), reject(new Error('HA websocket timeout'))), 15_000);
    ws.on('error', (e) => (clearTimeout(t), reject(e)));
    ws.on('message', (d) => {
      const m = JSON.parse((d as Buffer).toString('utf8')) as Record<string, unknown>;
      if (m.type === 'auth_required')
        ws.send(JSON.stringify({ type: 'auth', access_token: accessToken }));
      else if (m.type === 'auth_ok') ws.send(JSON.stringify({ id: 1, ...msg }));
      else if (m.type === 'auth_invalid') reject(new Error('auth_invalid'));
      else if (m.type === 'result') {
        clearTimeout(t);
        ws.close();
        if (m.success) resolve(m.result);
        else reject(new Error(JSON.stringify(m.error)));
      }
    });
  });
}

async function onboard(http: string, port: number, dir: string): Promise<string> {
  const clientId = `${http}/`;
  const u = await fetch(`${http}/api/onboarding/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_id: clientId,
      name: 'Porthole Test',
      username: 'porthole',
      password: 'porthole-test-password',
      language: 'en',
    }),
  });
  if (!u.ok) throw new Error(`onboarding/users: HTTP ${u.status} ${await u.text()}`);
  const { auth_code } = (await u.json()) as { auth_code: string };
  const t = await fetch(`${http}/auth/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: auth_code,
      client_id: clientId,
    }),
  });
  if (!t.ok) throw new Error(`auth/token: HTTP ${t.status} ${await t.text()}`);
  const { access_token } = (await t.json()) as { access_token: string };
  const llat = (await haWsCommand(port, access_token, {
    type: 'auth/long_lived_access_token',
    client_name: `porthole-test-${process.pid}`,
    lifespan: 30,
  })) as string;
  // HA writes its auth store a moment later (a deferred save): wait until the new token's
  // refresh token is on disk, so a restart keeps it.
  const iss = (
    JSON.parse(Buffer.from(llat.split('.')[1] as string, 'base64url').toString()) as {
      iss: string;
    }
  ).iss;
  const auth = join(dir, '.storage', 'auth');
  for (let i = 0; i < 200; i++) {
    if (existsSync(auth) && readFileSync(auth, 'utf8').includes(iss)) return llat;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('HA did not save the long-lived token within 20 s');
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
  const token = await onboard(http, port, dir).catch(async (e: Error) => {
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
