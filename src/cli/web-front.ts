// `rendezvous --web HOST:PORT` (issue 18): one origin serves the phone app (the static build in
// dist/web/phone, made by `npm run build`) and the relay's WebSocket at /porthole, over HTTPS
// with --tls-cert/--tls-key (plain HTTP only when no certificate is given: loopback and labs).
// A phone needs HTTPS: service workers, installing the app and `wss:` from the page all require
// a secure context. Strict CSP: the page loads only its own hashed script and style and talks
// only to its own origin.
import { readFileSync, existsSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { join } from 'node:path';
import type { Logger, SocketAddr } from '../net/types.js';
import type { RelayCore } from '../relay/server.js';
import { startWsRelay } from '../relay/ws-server.js';
import { formatAddr } from '../wire/addr.js';
import { die } from './lifecycle.js';
import { appUrlOf, type WebCmdOpts } from './web-options.js';

/** The build `rendezvous --web` serves; PORTHOLE_WEB_ROOT names another build's directory. */
export const WEB_ROOT =
  process.env.PORTHOLE_WEB_ROOT || new URL('../../web/phone/', import.meta.url).pathname;

export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "worker-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  body: Buffer;
  type: string;
  cache: string;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.webmanifest': 'application/manifest+json',
};

/** The build's files, read once: content-hashed assets are immutable, the rest revalidated. */
export function loadWebApp(root = WEB_ROOT): Map<string, Asset> {
  const info = join(root, 'build.json');
  if (!existsSync(info))
    throw new Error(`the phone app is not built (${info} missing): run npm run build`);
  const build = JSON.parse(readFileSync(info, 'utf8')) as { js: string; css: string };
  const files = new Map<string, Asset>();
  const add = (path: string, file: string, cache: string): void => {
    const ext = file.slice(file.lastIndexOf('.'));
    files.set(path, {
      body: readFileSync(join(root, file)),
      type: TYPES[ext] ?? 'application/octet-stream',
      cache,
    });
  };
  const revalidate = 'no-cache';
  add('/', 'index.html', revalidate);
  add('/sw.js', 'sw.js', revalidate);
  add('/manifest.webmanifest', 'manifest.webmanifest', revalidate);
  add('/icon.svg', 'icon.svg', 'public, max-age=86400');
  for (const f of [build.js, build.css])
    add(`/assets/${f}`, `assets/${f}`, 'public, max-age=31536000, immutable');
  return files;
}

export interface WebFrontOptions {
  listen: SocketAddr;
  tls?: { cert: Buffer; key: Buffer };
  root?: string;
}

export interface WebFront {
  /** e.g. "https://203.0.113.10:443/" (the bound address; --web-url names it otherwise). */
  url: string;
  close(): Promise<void>;
}

export async function startWebFront(core: RelayCore, o: WebFrontOptions): Promise<WebFront> {
  const files = loadWebApp(o.root);
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const f = files.get(path === '/index.html' ? '/' : path);
    const headers: Record<string, string> = {
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      ...(o.tls ? { 'strict-transport-security': 'max-age=31536000' } : {}),
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, allow: 'GET, HEAD' }).end();
      return;
    }
    if (!f) {
      res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, {
      ...headers,
      'content-type': f.type,
      'cache-control': f.cache,
      'content-length': String(f.body.length),
      ...(path === '/sw.js' ? { 'service-worker-allowed': '/' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : f.body);
  };
  const server = o.tls
    ? createHttps({ cert: o.tls.cert, key: o.tls.key }, handler)
    : createHttp(handler);
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.listen.port, o.listen.ip, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.listen.port;
  const ws = await startWsRelay(core, {
    server,
    port,
    path: '/porthole',
    // The page reaches only this origin: a session relayed elsewhere is carried there from here.
    bridge: true,
  });
  const bound = { ip: o.listen.ip, port };
  return {
    url: `${o.tls ? 'https' : 'http'}://${formatAddr(bound)}/`,
    close: async () => {
      await ws.close();
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    },
  };
}

/** Starts the --web front when asked; exits (die) on a bad certificate or a busy port. */
export async function startWebFromOptions(
  core: RelayCore | undefined,
  o: WebCmdOpts,
  log: Logger,
): Promise<{ close(): Promise<void> }> {
  if (!o.web) {
    if (o.tlsCert || o.tlsKey || o.webUrl) die('--tls-cert/--tls-key/--web-url need --web', 2);
    return { close: async () => {} };
  }
  if (!core) die('--web serves the relay: drop --no-relay', 2);
  if (!o.tlsCert !== !o.tlsKey) die('--tls-cert and --tls-key go together', 2);
  let tls: WebFrontOptions['tls'];
  if (o.tlsCert && o.tlsKey) {
    try {
      tls = { cert: readFileSync(o.tlsCert), key: readFileSync(o.tlsKey) };
    } catch (e) {
      die(`cannot read the TLS files: ${(e as Error).message}`, 2);
    }
  }
  const front = await startWebFront(core, { listen: o.web, ...(tls ? { tls } : {}) }).catch(
    (e: Error) => die(`cannot serve the phone app on ${formatAddr(o.web!)}: ${e.message}`),
  );
  const appUrl = appUrlOf(o);
  log.info(
    { url: front.url, appUrl: appUrl ?? 'unknown (set --web-url)', tls: !!tls },
    'phone app',
  );
  if (!tls)
    log.warn(
      {},
      'phone app over plain HTTP: fine on loopback or in a lab; a phone needs HTTPS (--tls-cert/--tls-key)',
    );
  return front;
}
