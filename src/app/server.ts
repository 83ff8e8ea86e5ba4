// `porthole app`: a small local web server (127.0.0.1 by default) with a phone-first dashboard
// that reaches the home through Porthole. preact + htm are served from node_modules: no build
// step, no CDN.
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DeviceError, parseCommand, parseEntityId } from '../devices/model.js';
import { sameOriginGuard } from './guard.js';
import { CLIENT_SCRIPT, PAGE } from './page.js';
import type { DeviceClient } from '../devices/rpc-client.js';
import type { EntityState } from '../devices/model.js';
import type { LinkStatus } from './session.js';

const require = createRequire(import.meta.url);
/** The ES module build beside a package's CommonJS entry (the browser needs ESM). */
const vendor = (spec: string, file: string): string =>
  readFileSync(join(dirname(require.resolve(spec)), file), 'utf8');

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
  const files: Record<string, string> = {
    '/vendor/preact.mjs': vendor('preact', 'preact.mjs'),
    '/vendor/hooks.mjs': vendor('preact/hooks', 'hooks.mjs'),
    '/vendor/htm.mjs': vendor('htm', 'htm.mjs'),
  };
  const app = new Hono();
  app.use('*', sameOriginGuard);
  app.use('/api/*', bodyLimit({ maxSize: 4096 }));
  app.get('/', (c) => c.html(PAGE));
  app.get('/app.js', (c) =>
    c.body(CLIENT_SCRIPT, 200, { 'content-type': 'text/javascript; charset=utf-8' }),
  );
  app.get('/vendor/:file', (c) => {
    const body = files[c.req.path];
    return body
      ? c.body(body, 200, { 'content-type': 'text/javascript; charset=utf-8' })
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
