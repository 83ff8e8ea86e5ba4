// Talks to a running client agent over its control socket (used by `client devices/get/set/
// watch/status` and `porthole app` when an agent is up). Every request has a timeout.
import type { ForwardStatus } from '../forward.js';
import { createConnection, type Socket } from 'node:net';
import type { Command, EntityState } from '../../devices/model.js';
import { PortholeError } from '../../errors.js';
import { LineSplitter, type ControlReply, type HomeStatus } from './control-wire.js';

/** Kinds this client raises itself; the agent's own error kinds pass through as strings. */
export type AgentErrorKind = 'agent-unreachable' | 'agent-timeout' | 'agent-closed';

type Waiter = {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
};

export class ControlClient {
  private nextId = 1;
  private readonly waiters = new Map<number, Waiter>();
  private readonly watchers = new Map<
    number,
    { onState(s: EntityState): void; onPath(s: HomeStatus): void }
  >();
  private closedCbs: Array<() => void> = [];

  private constructor(
    private readonly sock: Socket,
    private readonly timeoutMs: number,
  ) {
    sock.setEncoding('utf8');
    const lines = new LineSplitter(
      (l) => this.onLine(l),
      () => sock.destroy(),
    );
    sock.on('data', (d: string) => lines.push(d));
    sock.on('error', () => {});
    sock.on('close', () => {
      for (const [id, w] of this.waiters) {
        clearTimeout(w.timer);
        w.reject(new PortholeError('agent-closed', 'the client agent closed the connection'));
        this.waiters.delete(id);
      }
      for (const cb of this.closedCbs) cb();
    });
  }

  /**
   * Connects to the agent's socket; rejects with kind 'agent-unreachable' when none answers.
   * A request waits up to 35 s: the agent itself resolves every command within its 15 s wait for
   * the home to come up plus its 15 s to learn the command's fate (agent.ts), so it answers first.
   */
  static connect(path: string, timeoutMs = 35_000): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const s = createConnection(path);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new PortholeError('agent-unreachable', `no client agent answers on ${path}`));
      }, 1000);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(new ControlClient(s, timeoutMs));
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(new PortholeError('agent-unreachable', `no client agent on ${path}: ${e.message}`));
      });
    });
  }

  onClose(cb: () => void): void {
    this.closedCbs.push(cb);
  }

  status(): Promise<HomeStatus[]> {
    return this.request({ op: 'status' }) as Promise<HomeStatus[]>;
  }

  list(home?: string): Promise<EntityState[]> {
    return this.request({ op: 'list', home }) as Promise<EntityState[]>;
  }

  get(home: string | undefined, entity: string): Promise<EntityState> {
    return this.request({ op: 'get', home, entity }) as Promise<EntityState>;
  }

  call(home: string | undefined, entity: string, command: Command): Promise<EntityState> {
    return this.request({ op: 'call', home, entity, command }) as Promise<EntityState>;
  }

  async watch(
    home: string | undefined,
    onState: (s: EntityState) => void,
    onPath: (s: HomeStatus) => void = () => {},
  ): Promise<void> {
    const id = this.nextId;
    this.watchers.set(id, { onState, onPath });
    await this.request({ op: 'watch', home });
  }

  close(): void {
    this.sock.destroy();
  }

  services(home?: string): Promise<string[]> {
    return this.request({ op: 'services', home }) as Promise<string[]>;
  }

  /** Starts forwards in the agent; they run until this client closes. */
  forward(home: string | undefined, specs: string[]): Promise<{ forwards: ForwardStatus[] }> {
    return this.request({ op: 'forward', home, specs }) as Promise<{ forwards: ForwardStatus[] }>;
  }

  private request(body: Record<string, unknown>): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new PortholeError('agent-timeout', `the client agent did not answer in time`));
      }, this.timeoutMs);
      this.waiters.set(id, { resolve, reject, timer });
      this.sock.write(JSON.stringify({ id, ...body }) + '\n');
    });
  }

  private onLine(line: string): void {
    let r: ControlReply;
    try {
      r = JSON.parse(line) as ControlReply;
    } catch {
      return;
    }
    if (typeof r !== 'object' || r === null || typeof r.id !== 'number') return;
    if ('event' in r) {
      const w = this.watchers.get(r.id);
      if (r.event === 'state') w?.onState(r.state);
      else if (r.event === 'path') w?.onPath(r.status);
      return;
    }
    const w = this.waiters.get(r.id);
    if (!w) return;
    this.waiters.delete(r.id);
    clearTimeout(w.timer);
    if (r.ok) w.resolve(r.result);
    else w.reject(new PortholeError(r.kind, r.error));
  }
}
