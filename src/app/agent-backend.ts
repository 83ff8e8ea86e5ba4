// The web app served through a running client agent (`porthole client up`): device calls and
// live changes go over the agent's control socket, and the agent's view of the connection
// (path, reconnects, RTT) drives the app's badge, so the app never opens a second traversal.
import type { ControlClient } from '../client/agent/control-client.js';
import type { HomeStatus } from '../client/agent/control-wire.js';
import { LinkEvents } from './link-events.js';
import type { AppBackend } from './server.js';
import type { LinkStatus } from './session.js';

function toLink(s: HomeStatus): LinkStatus {
  const path = s.path === 'relayed' || s.path === 'direct' ? s.path : 'punched';
  return s.state === 'up'
    ? { state: 'connected', path, rttMs: s.rttMs, secure: true, home: s.remote }
    : { state: 'reconnecting', ...(s.lastError ? { error: s.lastError } : {}) };
}

export class AgentAppBackend extends LinkEvents implements AppBackend {
  constructor(
    private readonly agent: ControlClient,
    private readonly home: string | undefined,
  ) {
    super();
  }

  /** Subscribes to the agent; resolves once it accepted the watch. */
  async start(): Promise<void> {
    await this.agent.watch(
      this.home,
      (s) => this.emitState(s),
      (p) => this.setStatus(toLink(p)),
    );
  }

  get devices(): AppBackend['devices'] {
    if (this.status.state !== 'connected') return undefined;
    return {
      list: () => this.agent.list(this.home),
      call: (id, command) => this.agent.call(this.home, id, command),
    };
  }

  close(): void {
    this.agent.close();
  }
}
