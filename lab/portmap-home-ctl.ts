// Drives lab/portmap-home.ts inside the lab's home namespace and answers its verification
// requests from the internet side.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { PortmapStatus } from '../src/portmap/index.js';
import type { UdpAgent } from './udp-agent.js';

export type HomeEvent =
  | ({ ev: 'status'; ms: number } & Omit<PortmapStatus, 'external'> & { external?: string })
  | { ev: 'recv'; from: string; data: string }
  | { ev: 'verify'; external: string; token: string }
  | { ev: 'closed' };

export interface HomeArgs {
  port: number;
  observedIp?: string;
  lifetimeS?: number;
}

const live = new Set<ChildProcess>();
export function killPortmapHomes(): void {
  for (const p of live) p.kill('SIGKILL');
  live.clear();
}

export class PortmapHome {
  readonly events: HomeEvent[] = [];
  private readonly waiters = new Set<(e: HomeEvent) => void>();

  private constructor(private readonly proc: ChildProcess) {
    if (!proc.stdout) return;
    createInterface({ input: proc.stdout }).on('line', (line) => {
      let e: HomeEvent;
      try {
        e = JSON.parse(line) as HomeEvent;
      } catch {
        return;
      }
      if (this.events.length < 1000) this.events.push(e);
      for (const w of [...this.waiters]) w(e);
    });
  }

  /**
   * Starts the home in `ns`. `inet` (an agent with socket "v" open in the internet namespace)
   * answers verification requests; without it every verification fails.
   */
  static start(ns: string, args: HomeArgs, inet?: UdpAgent): PortmapHome {
    const script = fileURLToPath(new URL('./portmap-home.js', import.meta.url));
    const p = spawn('ip', ['netns', 'exec', ns, process.execPath, script, JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    live.add(p);
    p.on('exit', () => live.delete(p));
    const home = new PortmapHome(p);
    if (inet) {
      home.waiters.add((e) => {
        if (e.ev === 'verify') void inet.send('v', e.external, e.token).catch(() => {});
      });
    }
    return home;
  }

  /** The first event (already seen or future) matching `pred`, or null after `ms`. */
  waitFor(pred: (e: HomeEvent) => boolean, ms: number): Promise<HomeEvent | null> {
    const hit = this.events.find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve) => {
      const t = setTimeout(() => (this.waiters.delete(w), resolve(null)), ms);
      const w = (e: HomeEvent): void => {
        if (!pred(e)) return;
        clearTimeout(t);
        this.waiters.delete(w);
        resolve(e);
      };
      this.waiters.add(w);
    });
  }

  /** The first status that is not 'probing'. */
  settled(ms: number): Promise<HomeEvent | null> {
    return this.waitFor((e) => e.ev === 'status' && e.state !== 'probing', ms);
  }

  /** SIGTERM (the home deletes its mapping), then waits for it to exit; bounded. */
  async stop(ms = 6000): Promise<boolean> {
    const p = this.proc;
    if (p.exitCode !== null) return this.events.some((e) => e.ev === 'closed');
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), ms);
    await exited;
    clearTimeout(t);
    return this.events.some((e) => e.ev === 'closed');
  }
}
