// Builds the browser side (issue 18) with esbuild into dist/web/ (never committed):
//   dist/web/phone/      the phone app `rendezvous --web` serves: index.html, assets/app-HASH.js,
//                        assets/style-HASH.css (content-hashed, immutable), sw.js, the manifest,
//                        the icon, and build.json (file names, sizes, the script's SHA-256, and
//                        "bundle": the digest the home signs and the service worker pins)
//   dist/web/dashboard/  the laptop dashboard `porthole app` serves (the same UI components)
// Plain Node + esbuild; run by `npm run build` and scripts/setup.mjs after tsc.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'dist/web');

async function bundle(name, entry) {
  const dir = join(out, name);
  rmSync(dir, { recursive: true, force: true });
  const r = await build({
    entryPoints: { app: join(root, entry), style: join(root, 'src/ui/style.css') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    entryNames: '[name]-[hash]',
    outdir: join(dir, 'assets'),
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const files = Object.keys(r.metafile.outputs).map((f) => basename(f));
  const js = files.find((f) => f.startsWith('app-') && f.endsWith('.js'));
  const css = files.find((f) => f.startsWith('style-') && f.endsWith('.css'));
  const jsBytes = readFileSync(join(dir, 'assets', js));
  return { dir, js, css, jsBytes };
}

function page({ title, js, css, manifest }) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="theme-color" content="#0f172a">
<title>${title}</title>
<link rel="stylesheet" href="/assets/${css}">
${manifest ? '<link rel="manifest" href="/manifest.webmanifest">\n<link rel="icon" href="/icon.svg" type="image/svg+xml">\n<link rel="apple-touch-icon" href="/icon.svg">\n<meta name="apple-mobile-web-app-capable" content="yes">\n' : ''}<script type="module" src="/assets/${js}"></script>
</head>
<body>
<div id="root"></div>
</body>
</html>
`;
}

const phone = await bundle('phone', 'src/phone/main.ts');
const sha256 = createHash('sha256').update(phone.jsBytes).digest('base64url');
writeFileSync(join(phone.dir, 'index.html'), page({ title: 'Porthole', ...phone, manifest: true }));
copyFileSync(join(root, 'src/phone/icon.svg'), join(phone.dir, 'icon.svg'));
writeFileSync(
  join(phone.dir, 'manifest.webmanifest'),
  JSON.stringify({
    name: 'Porthole',
    short_name: 'Porthole',
    description: 'Your home, from anywhere, end-to-end encrypted',
    start_url: '/',
    scope: '/',
    display: 'standalone',
    background_color: '#0f172a',
    theme_color: '#0f172a',
    icons: [{ src: '/icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' }],
  }),
);
const shell = [
  '/',
  `/assets/${phone.js}`,
  `/assets/${phone.css}`,
  '/manifest.webmanifest',
  '/icon.svg',
];
await build({
  entryPoints: [join(root, 'src/phone/sw.ts')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  outfile: join(phone.dir, 'sw.js'),
  define: { __SHELL__: JSON.stringify(shell), __BUILD__: JSON.stringify(sha256.slice(0, 12)) },
  logLevel: 'warning',
});
// The bundle digest the home signs and the service worker pins (src/phone/pin.ts bundleDigest):
// SHA-256 over "porthole-bundle-v1\n" and "PATH SHA256\n" for the HTML, the script, the style.
const b64sha = (b) => createHash('sha256').update(b).digest('base64url');
const bundleText =
  'porthole-bundle-v1\n' +
  [
    ['/', readFileSync(join(phone.dir, 'index.html'))],
    [`/assets/${phone.js}`, phone.jsBytes],
    [`/assets/${phone.css}`, readFileSync(join(phone.dir, 'assets', phone.css))],
  ]
    .map(([p, b]) => `${p} ${b64sha(b)}\n`)
    .join('');
const info = {
  bundle: b64sha(Buffer.from(bundleText)),
  js: phone.js,
  css: phone.css,
  jsBytes: phone.jsBytes.length,
  jsGzipBytes: gzipSync(phone.jsBytes, { level: 9 }).length,
  sha256,
};
writeFileSync(join(phone.dir, 'build.json'), JSON.stringify(info, null, 2) + '\n');

const dash = await bundle('dashboard', 'src/ui/dashboard.ts');
writeFileSync(join(dash.dir, 'index.html'), page({ title: 'Porthole', ...dash, manifest: false }));
mkdirSync(out, { recursive: true });
process.stderr.write(
  `porthole build: phone app ${info.js} ${info.jsBytes} B (${info.jsGzipBytes} B gzipped), dashboard ${dash.js}\n`,
);
