/// <reference lib="dom" />
// The service worker: serves the app's shell (HTML, the content-hashed script and style, the
// manifest and icon) from its cache, so the installed app opens offline; the page then says it is
// offline and shows the last known states as stale (phone/store.ts). The cache is named after
// the build, so a new build replaces the shell in one piece. The relay's WebSocket is never cached.
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
interface SwScope {
  location: Location;
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void> };
  addEventListener(type: 'install' | 'activate', cb: (e: Waitable) => void): void;
  addEventListener(type: 'fetch', cb: (e: FetchEv) => void): void;
}
const self = globalThis as unknown as SwScope;

const CACHE = `porthole-shell-${__BUILD__}`;

self.addEventListener('install', (e) => {
  e.waitUntil(
    caches
      .open(CACHE)
      .then((c) => c.addAll(__SHELL__))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (e) => {
  e.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname === '/porthole') return;
  // The shell: network first (fresh after an update), the cache when offline.
  const key = url.pathname === '/' || url.pathname === '/index.html' ? '/' : url.pathname;
  e.respondWith(
    fetch(e.request).catch(async () => {
      const hit = await caches.match(key, { cacheName: CACHE });
      return hit ?? new Response('offline', { status: 503 });
    }),
  );
});

export {};
