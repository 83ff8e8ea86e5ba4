/// <reference lib="dom" />
// The service worker: serves the app's shell (HTML, the content-hashed script and style, the
// manifest and icon) from its cache, so the installed app opens offline; the page then says it is
// offline and shows the last known states as stale (phone/store.ts). The cache is named after
// the build, so a new build replaces the shell in one piece. The relay's WebSocket is never cached.
//
// The app pin (phone/pin.ts, docs/phone.md "Trust model"): once the page hands it the home's
// signed bundle digest (from the pairing URL's `?app=`), every navigation is checked: the HTML
// from the network and the script and style it names (from the verified cache when it holds that
// name, else the network) must hash to the pinned digest, or the worker answers with a refusal
// page and none of that code runs. A navigation whose `?app=DIGEST.SIG` is signed by a home it
// knows moves the pin to that digest (an update the home vouched for).
import { fromBase64Url } from '../wire/bytes.js';
import { bundleDigest, parseAppParam, shellAssets, verifyPin } from './pin.js';

declare const __SHELL__: string[];
declare const __BUILD__: string;

/** The few service-worker types used (the program's lib is the DOM's, not the worker's). */
interface Waitable {
  waitUntil(p: Promise<unknown>): void;
}
interface FetchEv {
  request: Request;
  respondWith(r: Promise<Response>): void;
}
interface MessageEv extends Waitable {
  data: unknown;
  ports: readonly MessagePort[];
}
interface SwScope {
  location: Location;
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void> };
  addEventListener(type: 'install' | 'activate', cb: (e: Waitable) => void): void;
  addEventListener(type: 'fetch', cb: (e: FetchEv) => void): void;
  addEventListener(type: 'message', cb: (e: MessageEv) => void): void;
}
const self = globalThis as unknown as SwScope;

const CACHE = `porthole-shell-${__BUILD__}`;
/** The page's policy (as cli/web-front.ts sends it). */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "manifest-src 'self'; worker-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/** The shell files that matched the pin (kept across builds), and the pin itself. */
const VERIFIED = 'porthole-verified';
const PIN = 'porthole-pin';
const PIN_KEY = '/__porthole-pin';

interface Pin {
  bundle: string;
  /** The Ed25519 keys (base64url) of the homes whose signed links may move the pin. */
  homes: string[];
}

async function loadPin(): Promise<Pin | undefined> {
  const r = await caches.match(PIN_KEY, { cacheName: PIN });
  return r ? ((await r.json()) as Pin) : undefined;
}

async function savePin(p: Pin): Promise<void> {
  await (await caches.open(PIN)).put(PIN_KEY, new Response(JSON.stringify(p)));
}

interface Shell {
  index: Response;
  files: Array<[string, Uint8Array]>;
  digest: string;
}

/** The shell as served now: `index` (the network's HTML), its assets (verified copy first). */
async function shellOf(index: Response): Promise<Shell> {
  const html = new Uint8Array(await index.clone().arrayBuffer());
  const files: Array<[string, Uint8Array]> = [['/', html]];
  for (const path of shellAssets(new TextDecoder().decode(html))) {
    const r =
      (await caches.match(path, { cacheName: VERIFIED })) ??
      (await fetch(path, { cache: 'no-cache' }));
    files.push([path, new Uint8Array(await r.arrayBuffer())]);
  }
  return { index, files, digest: await bundleDigest(files) };
}

/** Keeps a shell that matched the pin; the assets are then served from here. */
async function keep(s: Shell): Promise<void> {
  const c = await caches.open(VERIFIED);
  for (const k of await c.keys()) {
    const p = new URL(k.url).pathname;
    if (!s.files.some(([f]) => f === p)) await c.delete(k);
  }
  for (const [path, body] of s.files) {
    const type =
      path === '/'
        ? 'text/html; charset=utf-8'
        : path.endsWith('.css')
          ? 'text/css'
          : 'text/javascript';
    await c.put(
      path,
      new Response(body as Uint8Array<ArrayBuffer>, { headers: { 'content-type': type } }),
    );
  }
}

const esc = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, '');

function refusal(pinned: string, served: string): Response {
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Porthole: app refused</title></head>
<body><main data-testid="tampered" role="alert">
<h1>Porthole refused this app</h1>
<p>The app this server sent is not the one your home vouched for, so none of it was run and
your keys were not touched.</p>
<p>Pinned build: <code>${esc(pinned)}</code><br>Sent build: <code>${esc(served)}</code></p>
<p>If the owner of your home has just updated Porthole, open the link from
<code>porthole home app-link</code> on the home. Otherwise the server (or something between)
changed the app: do not pair or sign in here, and tell the owner of the rendezvous.</p>
</main></body></html>
`;
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': "default-src 'none'",
      'cache-control': 'no-store',
    },
  });
}

/** A navigation under a pin: the verified shell, or the refusal. */
async function navigate(req: Request, pin: Pin): Promise<Response> {
  let index: Response;
  try {
    index = await fetch(req);
  } catch {
    const hit = await caches.match('/', { cacheName: VERIFIED });
    return hit ?? new Response('offline', { status: 503 });
  }
  // A redirect is followed by the browser and checked as its own navigation; an error page from
  // the server is not shown (it could carry script): only its status.
  if (index.type === 'opaqueredirect') return index;
  if (!index.ok)
    return new Response(`the server answered ${index.status}`, { status: index.status });
  const s = await shellOf(index);
  if (s.digest !== pin.bundle) {
    // An update the home vouched for: `?app=DIGEST.SIG` naming exactly what is served.
    const p = parseAppParam(new URL(req.url).searchParams.get('app'));
    const vouched =
      p !== undefined &&
      p.bundle === s.digest &&
      pin.homes.some((h) => verifyPin(p, fromBase64Url(h)));
    if (!vouched) return refusal(pin.bundle, s.digest);
    await savePin({ ...pin, bundle: s.digest });
  }
  await keep(s);
  // The checked HTML under the app's own policy (the server's headers are not passed on).
  return new Response(s.files[0]?.[1] as Uint8Array<ArrayBuffer>, {
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    },
  });
}

/** The page hands over the pairing URL's pin with the home's key (from the pairing code). */
async function pinFromPage(d: {
  app?: string;
  edPublic?: string;
}): Promise<{ state: string; pinned?: string; served?: string }> {
  const p = parseAppParam(d.app);
  if (!p || !d.edPublic) return { state: 'unpinned' };
  if (!verifyPin(p, fromBase64Url(d.edPublic))) return { state: 'bad-signature' };
  const cur = await loadPin();
  // The first pin stands; a later home's link only adds that home (it may move the pin later).
  const pin: Pin = {
    bundle: cur?.bundle ?? p.bundle,
    homes: [...new Set([...(cur?.homes ?? []), d.edPublic])],
  };
  await savePin(pin);
  const s = await shellOf(await fetch('/', { cache: 'no-cache' }));
  if (s.digest === pin.bundle) await keep(s);
  return {
    state: s.digest === pin.bundle ? 'pinned' : 'mismatch',
    pinned: pin.bundle,
    served: s.digest,
  };
}

self.addEventListener('install', (e) => {
  e.waitUntil(
    caches
      .open(CACHE)
      .then((c) => c.addAll(__SHELL__))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (e) => {
  const keepCaches = [CACHE, VERIFIED, PIN];
  e.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(keys.filter((k) => !keepCaches.includes(k)).map((k) => caches.delete(k))),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('message', (e) => {
  const d = e.data as { type?: string; app?: string; edPublic?: string } | null;
  if (d?.type !== 'pin') return;
  e.waitUntil(
    pinFromPage(d)
      .catch((err: Error) => ({ state: `error: ${err.message}` }))
      .then((r) => e.ports[0]?.postMessage(r)),
  );
});

self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname === '/porthole') return;
  const key = url.pathname === '/' || url.pathname === '/index.html' ? '/' : url.pathname;
  e.respondWith(
    loadPin().then(async (pin) => {
      if (pin && e.request.mode === 'navigate') return navigate(e.request, pin);
      // Under a pin the script and style come from the verified copy (what was checked).
      const verified = pin && key !== '/' && (await caches.match(key, { cacheName: VERIFIED }));
      if (verified) return verified;
      // The shell: network first (fresh after an update), the cache when offline.
      return fetch(e.request).catch(async () => {
        const hit = await caches.match(key, { cacheName: CACHE });
        return hit ?? new Response('offline', { status: 503 });
      });
    }),
  );
});

export {};
