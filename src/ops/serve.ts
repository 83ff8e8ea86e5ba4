// One call for a long-running role's `--metrics HOST:PORT`: its metrics object and the HTTP
// endpoint serving /metrics, /healthz and /readyz. `porthole home` uses it; `porthole client up`
// (src/client/agent/, issue 11) calls it the same way:
//   const ops = await serveRoleMetrics('client', addr, () => ({ ready: up, detail: '…' }));
//   … pass ops.metrics.client to the agent; on shutdown: await ops.close().
import type { SocketAddr } from '../net/types.js';
import { startOpsServer, type OpsServer, type Readiness } from './http.js';
import { createMetrics, type Metrics, type Role } from './prom.js';

export interface RoleOps {
  readonly metrics: Metrics;
  readonly address: SocketAddr;
  close(): Promise<void>;
}

/** Rejects (with the listen error) when the address cannot be bound. */
export async function serveRoleMetrics(
  role: Role,
  listen: SocketAddr,
  readiness: () => Readiness,
): Promise<RoleOps> {
  const metrics = createMetrics(role);
  const server: OpsServer = await startOpsServer(listen, {
    metrics: () => metrics.text(),
    contentType: metrics.contentType,
    readiness,
  });
  return { metrics, address: server.address, close: () => server.close() };
}
