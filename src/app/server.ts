// `porthole app`: a small local web server (127.0.0.1 by default) with a phone-first dashboard
// that reaches the home through Porthole. The page is the esbuild bundle of the shared UI
// components (src/ui/, built into dist/web/dashboard by `npm run build`): no CDN.
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeviceError, parseCommand, parseEntityId } from '../devices/model.js';
import { sameOriginGuard } from './guard.js';
import type { DeviceClient } from '../devices/rpc-client.js';
import type { EntityState } from '../devices/model.js';
import type { LinkStatus } from './session.js';

const DASHBOARD = new URL('../../web/dashboard/', import.meta.url).pathname;

/** The built dashboard: index.html and its content-hashed assets. */
function dashboardFiles(root = DASHBOARD): { page: string; assets: Map<string, string> } {
  if (!existsSync(join(root, 'index.html')))
    throw new Error(`the dashboard is not built (${root} missing): run npm run build`);
  const assets = new Map<string, string>();
  for (const f of readdirSync(join(root, 'assets')))
    assets.set(`/assets/${f}`, readFileSync(join(root, 'assets', f), 'utf8'));
  return { page: readFileSync(join(root, 'index.html'), 'utf8'), assets };
}

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** What the web server needs from the link to the home (AppSession is one; startApp makes
 *  another from a ready DeviceClient). */
export interface AppBackend {
  /** The home's devices, or undefined while (re)connecting. */
  readonly devices: Pick<DeviceClient, 'list' | 'call'> | undefined;
  readonly status: LinkStatus;
  onState(cb: (s: EntityState) => void): () => void;
  onStatus(cb: (s: LinkStatus) => void): () => void;
}

export interface AppServer {
  url: string;
  close(): Promise<void>;
}

export function startAppServer(
  session: AppBackend,
  opts: { port: number; host?: string },
): Promise<AppServer> {
  let files: ReturnType<typeof dashboardFiles>;
  try {
    files = dashboardFiles();
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
  const app = new Hono();
  app.use('*', sameOriginGuard);
  app.use('*', async (c, next) => {
    await next();
    c.header('content-security-policy', CSP);
    c.header('x-content-type-options', 'nosniff');
  });
  app.use('/api/*', bodyLimit({ maxSize: 4096 }));
  app.get('/', (c) => c.html(files.page));
  app.get('/assets/:file', (c) => {
    const body = files.assets.get(c.req.path);
    const type = c.req.path.endsWith('.css') ? 'text/css' : 'text/javascript';
    return body
      ? c.body(body, 200, {
          'content-type': `${type}; charset=utf-8`,
          'cache-control': 'public, max-age=31536000, immutable',
        })
      : c.notFound();
  });
  app.get('/api/status', (c) => c.json(session.status));
  app.get('/api/devices', async (c) => {
    const dc = session.devices;
    if (!dc) return c.json({ error: 'not connected to the home yet' }, 503);
    try {
      return c.json(await dc.list());
    } catch (e) {
      return c.json({ error: (e as Error).message }, 502);
    }
  });
  app.post('/api/devices/:id', async (c) => {
    const dc = session.devices;
    if (!dc) return c.json({ error: 'not connected to the home yet' }, 503);
    try {
      const id = c.req.param('id');
      parseEntityId(id);
      const body: unknown = await c.req.json().catch(() => undefined);
      const command = parseCommand((body as { command?: unknown } | undefined)?.command);
      return c.json(await dc.call(id, command));
    } catch (e) {
      return c.json({ error: (e as Error).message }, e instanceof DeviceError ? 400 : 502);
    }
  });
  app.get('/api/events', (c) =>
    streamSSE(c, async (stream) => {
      const offState = session.onState(
        (s) => void stream.writeSSE({ event: 'state', data: JSON.stringify(s) }),
      );
      const offStatus = session.onStatus(
        (s) => void stream.writeSSE({ event: 'status', data: JSON.stringify(s) }),
      );
      await stream.writeSSE({ event: 'status', data: JSON.stringify(session.status) });
      await new Promise<void>((resolve) => stream.onAbort(resolve));
      offState();
      offStatus();
    }),
  );
  return new Promise((resolve, reject) => {
    let server: ServerType;
    try {
      server = serve(
        { fetch: app.fetch, port: opts.port, hostname: opts.host ?? '127.0.0.1' },
        (info) =>
          resolve({
            url: `http://${opts.host ?? '127.0.0.1'}:${info.port}`,
            close: () =>
              new Promise((res) => {
                server.close(() => res());
                // Live SSE streams would otherwise hold the server open.
                (server as { closeAllConnections?: () => void }).closeAllConnections?.();
              }),
          }),
      );
      server.on('error', reject);
    } catch (e) {
      reject(e instanceof Error ? e : new Error(String(e)));
    }
  });
}
