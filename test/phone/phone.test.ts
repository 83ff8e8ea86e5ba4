// The phone app end to end (issue 18), with real processes and Debian's Chromium as a phone
// (touch, 390×844): `rendezvous --web` serves the app over HTTPS and the relay's WebSocket on the
// same origin and announces its URL to the home, so `home pair` prints the pairing URL; the page pairs over the relay (named
// by its user), lists the devices, toggles a light, sees a push another (CLI) client caused; then
// a reload does it again warm with the kept keys, and offline the service worker's shell shows the
// last known states as stale; revoked by the home, it is told at once. This is also the browser half of the golden cross-test: the page
// runs the @noble Noise IK (secure/noise-ik.ts) against the home's noise-handshake.
// PORTHOLE_PHONE_SCREENSHOT=FILE saves the phone layout (docs/phone.png is made so, by hand).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { jsonLine, pairedStack, Procs, run } from '../support/cli.js';
import { launchChromium } from '../support/browser.js';
import { selfSignedCert } from '../../lab/browser.js';
import { WEB_ROOT } from '../../src/cli/web-front.js';

const PORT = 10_000 + ((process.pid + 5000) % 10_000);
const RV = `127.0.0.2:${PORT}`;
const WEB = `127.0.0.2:${PORT + 2}`;
const APP = `https://${WEB}/`;
const procs = new Procs();
/** Live: relayed, or direct once the WebRTC data channel took over (test/phone/direct.test.ts). */
const LIVE = '[data-path="relayed"], [data-path="direct"]';
after(() => procs.stopAll());

function get(
  path: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(APP + path.replace(/^\//, ''), { rejectUnauthorized: false }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the JavaScript of the phone app fits the budget (≤ 100 KB gzipped)', () => {
  const b = JSON.parse(readFileSync(join(WEB_ROOT, 'build.json'), 'utf8')) as {
    js: string;
    jsBytes: number;
    jsGzipBytes: number;
  };
  console.log(`# phone app ${b.js}: ${b.jsBytes} B, ${b.jsGzipBytes} B gzipped (budget 102,400)`);
  assert.ok(b.jsGzipBytes <= 100 * 1024);
});

test(
  'a phone pairs from the QR URL, toggles a light, sees pushes; warm after a reload; stale offline',
  { timeout: 120_000 },
  async (t) => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const tls = selfSignedCert(
      mkdtempSync(join(tmpdir(), 'porthole-tls-')),
      '127.0.0.2',
      'porthole-test',
    );
    const stack = await pairedStack(procs, {
      rvArgs: ['--listen', RV, '--web', WEB, '--tls-cert', tls.cert, '--tls-key', tls.key],
      rvReady: 'phone app',
      homeListen: `127.0.0.3:${PORT + 3}`,
      clients: ['cli'],
    });
    const cli = stack.clients.cli as string;

    // One origin: the app under a strict CSP, hashed assets immutable, the relay at /porthole.
    const index = await get('/');
    assert.equal(index.status, 200);
    assert.match(String(index.headers['content-security-policy']), /default-src 'none'/);
    assert.match(String(index.headers['content-security-policy']), /script-src 'self'/);
    const js = /src="(\/assets\/app-[A-Z0-9]+\.js)"/.exec(index.body)?.[1] as string;
    assert.match(String((await get(js)).headers['cache-control']), /immutable/);
    assert.equal((await get('/build.json')).status, 404);
    assert.equal((await get('/porthole')).status, 404); // a plain GET is no WebSocket

    // No --app-url: the rendezvous announced its app URL (serverInfo) and the home kept it.
    const pairing = run(['home', 'pair', '--state', stack.home, '--json']);
    assert.equal(pairing.status, 0, pairing.stderr);
    const code = jsonLine(pairing.stdout);
    // ?app=: the home vouches for its own build of the app (the tampered-bundle pin).
    assert.match(String(code.url), /^https:\/\/[^/]+\/\?app=[\w-]{43}\.[\w-]{86}#pair=/);
    assert.ok(
      String(code.url).startsWith(APP) && String(code.url).endsWith(`#pair=${String(code.code)}`),
    );

    const browser = await launchChromium({ width: 390, height: 844 }, { ignoreHTTPSErrors: true });
    t.after(() => browser.close());
    const page = browser.pages()[0] ?? (await browser.newPage());
    const cold = Date.now();
    await page.goto(String(code.url));
    assert.equal(new URL(page.url()).hash, '', 'the one-time code leaves the address bar');
    await page.getByTestId('phone-name').fill('Test phone');
    await page.getByTestId('pair').tap();
    const kitchen = page.locator('[data-entity-id="light.kitchen"]');
    await kitchen.and(page.locator('[data-state="off"]')).waitFor({ timeout: 15_000 });
    await page.locator(LIVE).waitFor();
    console.log(`# cold: page load → paired → first live state ${Date.now() - cold} ms`);

    const clients = run(['home', 'clients', '--state', stack.home, '--json']);
    assert.match(clients.stdout, /"name":"Test phone"/);

    await page.getByTestId('toggle-light.kitchen').tap();
    await kitchen.and(page.locator('[data-state="on"]')).waitFor({ timeout: 10_000 });
    // Another client (the CLI, punched) changes it: the page sees the push.
    const base = ['--state', cli, '--home', stack.homeId, '--bind', '127.0.0.4', '--json'];
    const set = run(['client', 'set', 'light.kitchen', 'off', ...base]);
    assert.equal(set.status, 0, set.stdout + set.stderr);
    await kitchen.and(page.locator('[data-state="off"]')).waitFor({ timeout: 10_000 });

    // Warm: the keys stayed in IndexedDB; no pairing, straight to the home.
    const warm = Date.now();
    await page.reload();
    await page.locator(LIVE).waitFor({ timeout: 15_000 });
    console.log(`# warm: reload → first live state ${Date.now() - warm} ms`);
    await page.getByTestId('toggle-light.kitchen').tap();
    await kitchen.and(page.locator('[data-state="on"]')).waitFor({ timeout: 10_000 });
    const again = run(['client', 'set', 'light.kitchen', 'off', ...base]);
    assert.equal(again.status, 0, again.stdout + again.stderr);
    await kitchen.and(page.locator('[data-state="off"]')).waitFor({ timeout: 10_000 });
    const shot = process.env.PORTHOLE_PHONE_SCREENSHOT;
    if (shot) await page.screenshot({ path: shot });

    // Offline: the service worker serves the shell; the states are last known, not live.
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    await browser.setOffline(true);
    await page.reload();
    await page.locator('[data-path="offline"]').waitFor({ timeout: 15_000 });
    await kitchen.and(page.locator('[data-stale="true"]')).waitFor();
    await page.getByTestId('stale').waitFor();
    await browser.setOffline(false);
    // The page may reconnect by itself (the browser's online event) before the tap lands.
    await page
      .getByTestId('retry')
      .tap({ timeout: 3000 })
      .catch(() => {});
    await page.locator(LIVE).waitFor({ timeout: 15_000 });

    // Revoked while connected: the home's authenticated close reaches the page (target ≤ 1 s).
    const me = clients.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { fingerprint: string; name: string })
      .find((c) => c.name === 'Test phone');
    assert.ok(me);
    const revokedAt = Date.now();
    const revoke = run(['home', 'clients', '--state', stack.home, '--revoke', me.fingerprint]);
    const cliDone = Date.now();
    assert.equal(revoke.status, 0, revoke.stderr);
    await page.getByTestId('code-entry').waitFor({ timeout: 5000 });
    const shown = Date.now();
    console.log(
      `# revocation: the page says so ${shown - cliDone} ms after home clients --revoke exited ` +
        `(${shown - revokedAt} ms with the CLI's own start)`,
    );
    await page.getByText('the home closed the channel: revoked').waitFor({ timeout: 3000 });
    await page.locator('[data-path="offline"]').waitFor();
  },
);
