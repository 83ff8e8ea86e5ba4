// The tampered-bundle mitigation (issue 18, docs/phone.md "Trust model"): the pairing URL carries
// the home's signed digest of its own build of the app (`?app=DIGEST.SIG`); the page's service
// worker pins it. Then the rendezvous is restarted serving a tampered bundle:
// - the same file names with changed contents: the phone keeps running the checked copy;
// - an HTML that loads another script: the page refuses it with a clear message, nothing of it runs;
// - an update link signed by another home's key: still refused;
// - an update link from `home app-link` (signed by the paired home): accepted, the app runs.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BIN, jsonLine, Procs, run } from '../support/cli.js';
import { launchChromium } from '../support/browser.js';
import { selfSignedCert } from '../../lab/browser.js';
import { CSP, WEB_ROOT } from '../../src/cli/web-front.js';
import { bundleDigest, shellAssets } from '../../src/phone/pin.js';

const PORT = 10_000 + ((process.pid + 7000) % 10_000);
const RV = `127.0.0.2:${PORT}`;
const WEB = `127.0.0.2:${PORT + 2}`;
const APP = `https://${WEB}/`;
const procs = new Procs();
after(() => procs.stopAll());

/** The rendezvous serving the app from `root`; resolves once it serves. */
function startRendezvous(tls: { cert: string; key: string }, root?: string): Promise<ChildProcess> {
  const args = ['rendezvous', '--listen', RV, '--web', WEB, '--tls-cert', tls.cert];
  const p = spawn(process.execPath, [BIN, '--log-level', 'info', ...args, '--tls-key', tls.key], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...(root ? { PORTHOLE_WEB_ROOT: root } : {}) },
  });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('the rendezvous did not start in 10 s')), 10_000);
    let err = '';
    p.stderr.on('data', (b: Buffer) => {
      err = (err + b.toString()).slice(-2000);
      if (err.includes('phone app')) {
        clearTimeout(t);
        resolve(p);
      }
    });
    p.on('exit', (code) => reject(new Error(`rendezvous exited ${code}: ${err.slice(-400)}`)));
  });
}

async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(t);
}

/** The digest of the shell in `root`, as the service worker computes it. */
async function digestOf(root: string): Promise<string> {
  const html = readFileSync(join(root, 'index.html'));
  const files: Array<[string, Uint8Array]> = [['/', new Uint8Array(html)]];
  for (const p of shellAssets(html.toString())) files.push([p, readFileSync(join(root, p))]);
  return bundleDigest(files);
}

test(
  'a tampered app bundle from the rendezvous is refused by the pinned service worker',
  { timeout: 90_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'porthole-tamper-'));
    const tls = selfSignedCert(dir, '127.0.0.2', 'porthole-test');
    let rv = await startRendezvous(tls);
    t.after(() => stop(rv));
    const home = join(dir, 'home');
    const init = run(['home', 'init', '--state', home, '--json']);
    assert.equal(init.status, 0, init.stderr);
    await procs.start(
      ['home', '--state', home, '--rendezvous', RV, '--listen', `127.0.0.3:${PORT + 3}`],
      'registered with rendezvous',
    );
    const build = JSON.parse(readFileSync(join(WEB_ROOT, 'build.json'), 'utf8')) as {
      bundle: string;
      js: string;
    };
    assert.equal(await digestOf(WEB_ROOT), build.bundle, 'build-web.mjs and pin.ts agree');
    // The worker serves the checked HTML under the front's own policy.
    assert.ok(readFileSync(join(WEB_ROOT, 'sw.js'), 'utf8').includes(CSP), 'sw.ts CSP = CSP');
    const pairing = jsonLine(run(['home', 'pair', '--state', home, '--json']).stdout);
    assert.match(String(pairing.url), new RegExp(`\\?app=${build.bundle}\\.`));

    const browser = await launchChromium({ width: 390, height: 844 }, { ignoreHTTPSErrors: true });
    t.after(() => browser.close());
    const page = browser.pages()[0] ?? (await browser.newPage());
    const live = page.locator('[data-path="relayed"], [data-path="direct"]');
    await page.goto(String(pairing.url));
    await page.getByTestId('pair').tap();
    await live.waitFor({ timeout: 15_000 });
    await page.locator('html[data-app-pin="pinned"]').waitFor({ timeout: 15_000 });
    await page.reload();
    await live.waitFor({ timeout: 15_000 });

    // 1. The same file names, other contents: the checked copies keep running.
    const bad = join(dir, 'tampered');
    cpSync(WEB_ROOT, bad, { recursive: true });
    const js = join(bad, 'assets', build.js);
    writeFileSync(js, readFileSync(js, 'utf8') + ';document.title="tampered";\n');
    await stop(rv);
    rv = await startRendezvous(tls, bad);
    await page.reload();
    // The app ran (its badge shows; the home need not be back on the new rendezvous yet).
    await page.locator('[data-path]').waitFor({ timeout: 15_000 });
    assert.notEqual(await page.title(), 'tampered');

    // 2. An HTML that loads another script: refused with a clear message, nothing of it runs.
    const evil = 'app-TAMPERED.js';
    writeFileSync(join(bad, 'assets', evil), readFileSync(js));
    const index = join(bad, 'index.html');
    writeFileSync(index, readFileSync(index, 'utf8').replace(build.js, evil));
    const info = join(bad, 'build.json'); // what the front serves
    writeFileSync(info, readFileSync(info, 'utf8').replace(build.js, evil));
    await stop(rv);
    rv = await startRendezvous(tls, bad);
    await page.reload();
    await page.getByTestId('tampered').waitFor({ timeout: 10_000 });
    await page.getByText('Porthole refused this app').waitFor();
    assert.notEqual(await page.title(), 'tampered');
    const digest = await digestOf(bad);
    assert.match(await page.getByTestId('tampered').innerText(), new RegExp(digest));

    // 3. An update link signed by a key the phone does not know: still refused.
    const other = join(dir, 'other');
    assert.equal(run(['home', 'init', '--state', other]).status, 0);
    const linkArgs = ['--bundle', digest, '--app-url', APP, '--json'];
    const forged = run(['home', 'app-link', '--state', other, ...linkArgs]);
    assert.equal(forged.status, 0, forged.stderr);
    await page.goto(String(jsonLine(forged.stdout).url));
    await page.getByTestId('tampered').waitFor({ timeout: 10_000 });

    // 4. The paired home vouches for the new build: the phone moves to it.
    const update = run(['home', 'app-link', '--state', home, ...linkArgs]);
    assert.equal(update.status, 0, update.stderr);
    await page.goto(String(jsonLine(update.stdout).url));
    await page.locator('[data-path]').waitFor({ timeout: 15_000 });
    assert.equal(await page.title(), 'tampered', 'the vouched-for build runs');
    assert.equal(new URL(page.url()).search, '', 'the pin leaves the address bar');
  },
);
