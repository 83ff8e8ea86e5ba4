// Runs the real `porthole` roles inside lab namespaces (issue 13's product-level rows): long-running
// roles with their info log collected, one-shot `client connect --json`, SIGTERM with a bound.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { BIN, killLabProcesses, spawnInNs } from './runner.js';

/** Kills every role the lab started (the runner's and these). */
export const killRoles = killLabProcesses;

export class Role {
  readonly lines: Array<Record<string, unknown>> = [];
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<number | null>;

  private constructor(private readonly proc: ChildProcess) {
    createInterface({ input: proc.stderr! }).on('line', (line) => {
      try {
        if (this.lines.length < 5000) this.lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        return;
      }
      for (const w of [...this.waiters]) w();
    });
    this.exited = new Promise((r) => proc.on('exit', (code) => r(code)));
  }

  static start(ns: string, args: string[]): Role {
    return new Role(spawnInNs(ns, args));
  }

  /** The first log line matching `pred` (already seen or coming), or undefined after `ms`. */
  waitFor(
    pred: (l: Record<string, unknown>) => boolean,
    ms: number,
  ): Promise<Record<string, unknown> | undefined> {
    const seen = this.lines.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const check = (): void => {
        const l = this.lines.find(pred);
        if (!l) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(l);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve(undefined);
      }, ms);
      this.waiters.add(check);
    });
  }

  /** SIGTERM, then the exit code (SIGKILL after `ms`). */
  async stop(ms = 6000): Promise<number | null> {
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), ms);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}

/** `porthole client connect --json …` in `ns` (or `client ping`): the JSON line, or the error text. */
export function connectIn(
  ns: string,
  args: string[],
  sub: 'connect' | 'ping' = 'connect',
): { json?: Record<string, unknown>; error?: string; wallMs: number } {
  const t0 = Date.now();
  const r = spawnSync(
    'ip',
    ['netns', 'exec', ns, process.execPath, BIN, 'client', sub, '--json', ...args],
    {
      encoding: 'utf8',
      timeout: 40_000,
    },
  );
  const wallMs = Date.now() - t0;
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return { json: JSON.parse(line) as Record<string, unknown>, wallMs };
  } catch {
    return { error: `exit ${r.status}: ${r.stderr.trim().slice(0, 400)}`, wallMs };
  }
}

/** The failure text of a connectIn result: `--json` prints it as `error`, else stderr's. */
export function connectErrorText(r: ReturnType<typeof connectIn>): string {
  return typeof r.json?.error === 'string' ? r.json.error : (r.error ?? '');
}
