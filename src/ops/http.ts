// The ops endpoint: /metrics (Prometheus text), /healthz (the process answers), /readyz (the role
// is fully serving; 503 with the reason while degraded). Bound only when --metrics is given.
import { createServer, type Server } from 'node:http';
import type { SocketAddr } from '../net/types.js';

export interface Readiness {
  ready: boolean;
  /** One line: why not ready, or what is degraded. */
  detail: string;
}

export interface OpsSource {
  metrics(): Promise<string>;
  contentType: string;
  readiness(): Readiness;
}

export interface OpsServer {
  readonly address: SocketAddr;
  close(): Promise<void>;
}

export function startOpsServer(listen: SocketAddr, src: OpsSource): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    if (path === '/metrics') {
      src.metrics().then(
        (text) => res.writeHead(200, { 'content-type': src.contentType }).end(text),
        (e: Error) => res.writeHead(500).end(`metrics failed: ${e.message}\n`),
      );
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const r = src.readiness();
      res.writeHead(r.ready ? 200 : 503, { 'content-type': 'text/plain' }).end(`${r.detail}\n`);
    } else {
      res.writeHead(404).end();
    }
  });
  // Slow or idle scrapers cannot hold sockets forever.
  server.requestTimeout = 5000;
  server.headersTimeout = 5000;
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.ip, () => {
      server.off('error', reject);
      const a = server.address();
      const port = typeof a === 'object' && a ? a.port : listen.port;
      resolve({
        address: { ip: listen.ip, port },
        close: () =>
          new Promise<void>((res) => {
            server.closeAllConnections();
            server.close(() => res());
          }),
      });
    });
  });
}
