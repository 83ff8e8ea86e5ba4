// startApp: the dashboard for a device client the caller already holds (the caller owns the
// connection and reports its status); AppSession is the variant that also connects/reconnects.
import type { EntityState } from '../devices/model.js';
import type { DeviceClient } from '../devices/rpc-client.js';
import { startAppServer, type AppBackend, type AppServer } from './server.js';
import type { LinkStatus } from './session.js';

export interface StartAppOptions {
  port: number;
  /** Default 127.0.0.1; use 0.0.0.0 to reach it from a phone on the LAN. */
  host?: string;
  client: DeviceClient;
  /** Polled once a second; a change is pushed to open pages. */
  status: () => { path: string; rttMs?: number; state: 'connected' | 'reconnecting' };
  /** How often to poll `status` (ms). */
  statusPollMs?: number;
}

const PATHS = ['direct', 'punched', 'relayed', 'ipv6', 'mapped'] as const;

function toLinkStatus(s: ReturnType<StartAppOptions['status']>): LinkStatus {
  const path = PATHS.find((p) => p === s.path);
  return {
    state: s.state,
    ...(path ? { path } : {}),
    ...(s.rttMs !== undefined ? { rttMs: Math.round(s.rttMs * 100) / 100 } : {}),
  };
}

export async function startApp(opts: StartAppOptions): Promise<AppServer> {
  const stateCbs = new Set<(s: EntityState) => void>();
  const statusCbs = new Set<(s: LinkStatus) => void>();
  let status = toLinkStatus(opts.status());
  const backend: AppBackend = {
    devices: opts.client,
    get status() {
      return status;
    },
    onState: (cb) => (stateCbs.add(cb), () => stateCbs.delete(cb)),
    onStatus: (cb) => (statusCbs.add(cb), () => statusCbs.delete(cb)),
  };
  const poll = setInterval(() => {
    const next = toLinkStatus(opts.status());
    if (JSON.stringify(next) === JSON.stringify(status)) return;
    status = next;
    for (const cb of statusCbs) cb(status);
  }, opts.statusPollMs ?? 1000);
  const onChange = (s: EntityState): void => stateCbs.forEach((cb) => cb(s));
  await opts.client.watch(onChange);
  let server: AppServer;
  try {
    server = await startAppServer(backend, { port: opts.port, host: opts.host ?? '127.0.0.1' });
  } catch (e) {
    clearInterval(poll);
    void opts.client.unwatch(onChange).catch(() => {});
    throw e;
  }
  return {
    url: server.url,
    close: async () => {
      clearInterval(poll);
      void opts.client.unwatch(onChange).catch(() => {});
      await server.close();
    },
  };
}
