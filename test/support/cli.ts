// Runs the real `porthole` binary: long-running roles in the background, commands to completion.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../../bin/porthole.js', import.meta.url));

// The client's NAT class cache (src/cli/nat-cache.ts) of every command the tests start goes to a
// temp dir of this test process, never to the user's ~/.cache.
const cacheDir = mkdtempSync(join(tmpdir(), 'porthole-cache-'));
process.env.XDG_CACHE_HOME = cacheDir;
process.on('exit', () => rmSync(cacheDir, { recursive: true, force: true }));

export class Procs {
  private readonly list: ChildProcess[] = [];

  /** Starts a role and resolves once it logs `readyText` (at info level, on stderr). */
  start(args: string[], readyText: string): Promise<void> {
    const p = spawn(process.execPath, [BIN, '--log-level', 'info', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.list.push(p);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${args[0]} did not log "${readyText}" in 10 s`)),
        10_000,
      );
      let err = '';
      p.stderr.on('data', (b: Buffer) => {
        err = (err + b.toString()).slice(-2000);
        if (b.toString().includes(readyText)) {
          clearTimeout(timer);
          resolve();
        }
      });
      // Why it died (e.g. a port taken) belongs in the failure.
      p.on('exit', (code) => reject(new Error(`${args[0]} exited ${code}: ${err.slice(-400)}`)));
    });
  }

  /** Starts `porthole ARGS` and resolves with its first stdout line (e.g. a forward's JSON). */
  firstLine(args: string[], timeoutMs = 30_000): Promise<string> {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.list.push(p);
    return new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(
        () => reject(new Error(`no line in ${timeoutMs / 1000} s: ${err}`)),
        timeoutMs,
      );
      p.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('\n')) {
          clearTimeout(timer);
          resolve(out.split('\n')[0] as string);
        }
      });
      p.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-1000)));
      p.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
  }

  stopAll(): void {
    this.list.forEach((p) => p.kill('SIGTERM'));
  }
}

export function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
}

export function jsonLine(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got: ${stdout}`);
  return JSON.parse(lines[0] as string) as Record<string, unknown>;
}

export interface PairedStack {
  dir: string;
  /** The home's state dir and id. */
  home: string;
  homeId: string;
  /** One state dir per named client, each paired with the home. */
  clients: Record<string, string>;
}

/**
 * A rendezvous (`rvArgs`, ready on `rvReady`) and a secure home on `homeListen`, with each named
 * client initialised and paired (bound to 127.0.0.4). Unpaired clients: init them yourself.
 */
export async function pairedStack(
  procs: Procs,
  o: { rvArgs: string[]; rvReady?: string; homeListen: string; clients: string[] },
): Promise<PairedStack> {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-e2e-'));
  const home = join(dir, 'home');
  const init = run(['home', 'init', '--state', home, '--json']);
  assert.equal(init.status, 0, init.stderr);
  const homeId = String(jsonLine(init.stdout).homeId);
  const rv = o.rvArgs[o.rvArgs.indexOf('--listen') + 1] as string;
  await procs.start(['rendezvous', ...o.rvArgs], o.rvReady ?? 'rendezvous listening');
  await procs.start(
    ['home', '--state', home, '--rendezvous', rv, '--listen', o.homeListen],
    'registered with rendezvous',
  );
  const clients: Record<string, string> = {};
  for (const name of o.clients) {
    const state = join(dir, name);
    assert.equal(run(['client', 'init', '--state', state]).status, 0);
    const code = String(jsonLine(run(['home', 'pair', '--state', home, '--json']).stdout).code);
    const pair = run(['client', 'pair', code, '--state', state, '--bind', '127.0.0.4']);
    assert.equal(pair.status, 0, pair.stderr);
    clients[name] = state;
  }
  return { dir, home, homeId, clients };
}
