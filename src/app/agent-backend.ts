// The web app served through a running client agent (`porthole client up`): device calls and
// live changes go over the agent's control socket, and the agent's view of the connection
// (path, reconnects, RTT) drives the app's badge, so the app never opens a second traversal.
import type { ControlClient } from '../client/agent/control-client.js';
import type { HomeStatus } from '../client/agent/control-wire.js';
import type { EntityState } from '../devices/model.js';
import type { AppBackend } from './server.js';
import type { LinkStatus } from './session.js';

function toLink(s: HomeStatus): LinkStatus {
  const path = s.path === 'relayed' || s.path === 'direct' ? s.path : 'punched';
  return s.state === 'up'
    ? { state: 'connected', path, rttMs: s.rttMs, secure: true, home: s.remote }
    : { state: 'reconnecting', ...(s.lastError ? { error: s.lastError } : {}) };
}

export class AgentAppBackend implements AppBackend {
  status: LinkStatus = { state: 'connecting' };
  private readonly stateCbs = new Set<(s: EntityState) => void>();
  private readonly statusCbs = new Set<(s: LinkStatus) => void>();

  constructor(
    private readonly agent: ControlClient,
    private readonly home: string | undefined,
  ) {}

  /** Subscribes to the agent; resolves once it accepted the watch. */
  async start(): Promise<void> {
    await this.agent.watch(
      this.home,
      (s) => this.stateCbs.forEach((cb) => cb(s)),
      (p) => {
        this.status = toLink(p);
        this.statusCbs.forEach((cb) => cb(this.status));
      },
    );
  }

  get devices(): AppBackend['devices'] {
    if (this.status.state !== 'connected') return undefined;
    return {
      list: () => this.agent.list(this.home),
      call: (id, command) => this.agent.call(this.home, id, command),
    };
  }

  onState(cb: (s: EntityState) => void): () => void {
    this.stateCbs.add(cb);
    return () => this.stateCbs.delete(cb);
  }

  onStatus(cb: (s: LinkStatus) => void): () => void {
    this.statusCbs.add(cb);
    return () => this.statusCbs.delete(cb);
  }

  close(): void {
    this.agent.close();
  }
}
