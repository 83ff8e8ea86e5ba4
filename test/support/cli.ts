// Runs the real `porthole` binary: long-running roles in the background, commands to completion.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../../bin/porthole.js', import.meta.url));

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
      p.stderr.on('data', (b: Buffer) => {
        if (b.toString().includes(readyText)) {
          clearTimeout(timer);
          resolve();
        }
      });
      p.on('exit', (code) => reject(new Error(`${args[0]} exited ${code}`)));
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
