// The --web front on its own (issue 18): only the build's files, each under the strict CSP;
// hashed assets immutable, the shell revalidated; nothing but GET/HEAD; the relay's WebSocket at
// /porthole on the same port (plain HTTP here: loopback).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import { CSP, loadWebApp, startWebFront } from '../../src/cli/web-front.js';
import type { RelayCore } from '../../src/relay/server.js';

test('the web front serves the built app under its CSP and upgrades /porthole', async (t) => {
  const files = loadWebApp();
  const asset = [...files.keys()].find((k) => k.startsWith('/assets/app-')) as string;
  assert.ok(asset, 'the build has a hashed app script');
  const drops: string[] = [];
  const core = {
    countDrop: (why: string) => drops.push(why),
    transportClosed: () => {},
    sessionsOf: () => 0,
  } as unknown as RelayCore;
  const front = await startWebFront(core, { listen: { ip: '127.0.0.1', port: 0 } });
  t.after(() => front.close());
  const at = (p: string, init?: RequestInit) => fetch(new URL(p, front.url), init);

  const index = await at('/');
  assert.equal(index.status, 200);
  assert.equal(index.headers.get('content-security-policy'), CSP);
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  assert.match(await index.text(), new RegExp(asset.replace(/[.]/g, '\\.')));
  const js = await at(asset);
  assert.match(js.headers.get('cache-control') ?? '', /immutable/);
  assert.match(js.headers.get('content-type') ?? '', /javascript/);
  assert.equal((await at('/sw.js')).headers.get('service-worker-allowed'), '/');
  assert.match(
    (await at('/manifest.webmanifest')).headers.get('content-type') ?? '',
    /manifest\+json/,
  );
  const missing = await at('/build.json');
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get('content-security-policy'), CSP);
  assert.equal((await at('/', { method: 'POST' })).status, 405);
  assert.equal((await at('/../../package.json')).status, 404);

  // The same port upgrades /porthole into the relay's WebSocket front (a frame that is no
  // message is counted as a drop, never a crash).
  const ws = new WebSocket(new URL('/porthole', front.url.replace('http', 'ws')));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(new Uint8Array([1, 2, 3]));
  for (let i = 0; i < 50 && drops.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(drops, ['ws-malformed']);
  ws.close();
});
