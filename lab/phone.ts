// The phone app in the real-NAT lab (issue 18, "Lab and tests"): Debian's Chromium runs inside
// the client namespace (playwright-core drives it over --remote-debugging-pipe through a wrapper
// that does `ip netns exec NS chromium`), with a phone's viewport and touch. The rendezvous serves
// the app over HTTPS (a lab certificate for 198.51.100.1) and the relay's WebSocket; the home sits
// behind its NAT kind. The page opens the pairing URL `home pair --json` prints, pairs (one tap),
// sees the devices, toggles a light, sees a push another client (the CLI, in the phone's
// namespace) caused; then reloads (keys kept) and does it again warm. It reports the data-path the
// page reaches (whatever it is: `relayed` until a direct path exists) and the times to the first
// live device state, cold and warm.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { CHROMIUM_ARGS, selfSignedCert } from './browser.js';
import { nft } from './netns.js';
import { killLabProcesses, runClient, start } from './runner.js';
import { buildLab, siteName, type Lab, type SiteSpec } from './topology.js';

const RV_PORT = 7400;
const WEB_PORT = 443;
const CHROMIUM = '/usr/bin/chromium';

/** Drops every UDP packet the phone's router forwards (a network that blocks UDP). */
export const UDP_BLOCK =
  'table inet udpblock { chain drop_udp { type filter hook forward priority -10; meta l4proto udp drop; }; }';

export interface PhoneLabSpec {
  home: SiteSpec;
  phone: SiteSpec;
  /** The phone's router drops all UDP (it reaches the relay over WSS only). */
  udpBlocked?: boolean;
}

export interface PhoneLabOptions {
  /** After the first live state, how long to wait for the page to reach `direct` (ms). */
  settleMs?: number;
  /** Also reload and measure warm (default true). */
  warm?: boolean;
  /** Runs with the page and the lab up, after the warm round (more checks by a test). */
  extra?: (ctx: PhoneLabContext) => Promise<void>;
}

export interface PhoneLabContext {
  lab: Lab;
  page: Page;
  browser: BrowserContext;
  /** `client …` in the phone's namespace as the CLI client (pushes). */
  cli(args: string[]): Promise<string>;
  /** Restarts the rendezvous (it was killed by the caller through `stopRendezvous`). */
  startRendezvous(): Promise<void>;
  stopRendezvous(): void;
}

export interface PhoneLabResult {
  home: string;
  phone: string;
  udpBlocked: boolean;
  ok: boolean;
  error?: string;
  /** data-path when the first live state showed, and after settleMs (cold session). */
  path: string;
  pathSettled: string;
  /** first live state → data-path="direct" (null: it stayed as it was within settleMs). */
  toDirectMs: number | null;
  /** page load (goto) → paired (one tap) → first live device state. */
  coldMs: number | null;
  /** reload (keys kept) → first live device state. */
  warmMs: number | null;
  warmPath: string;
  /** `client set` by the CLI exited → the page shows the new state. */
  pushMs: number | null;
}

const LIVE = '[data-path="relayed"], [data-path="direct"]';

/**
 * Chromium inside `ns` with a phone's settings (390×844 CSS px, scale 3, touch, mobile), a fresh
 * profile. The wrapper execs into the namespace, so closing the context ends the browser.
 */
export async function phoneBrowserIn(ns: string, dir: string): Promise<BrowserContext> {
  const { chromium } = await import('playwright-core');
  const wrapper = join(dir, 'chromium-in-ns.sh');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} ${CHROMIUM} "$@"\n`);
  chmodSync(wrapper, 0o755);
  return chromium.launchPersistentContext(mkdtempSync(join(dir, 'profile-')), {
    executablePath: wrapper,
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 3,
    isMobile: true,
    hasTouch: true,
    userAgent:
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0.0.0 Mobile Safari/537.36',
    ignoreHTTPSErrors: true,
    args: ['--ignore-certificate-errors', ...CHROMIUM_ARGS],
  });
}

async function pathOf(page: Page): Promise<string> {
  return (await page.locator('[data-path]').first().getAttribute('data-path')) ?? '-';
}

/** Waits up to `ms` for data-path="direct"; the path then, and how long it took to be direct. */
async function settle(
  page: Page,
  ms: number,
): Promise<{ path: string; toDirectMs: number | null }> {
  const t0 = Date.now();
  let direct = (await pathOf(page)) === 'direct';
  if (!direct && ms > 0)
    direct = await page
      .locator('[data-path="direct"]')
      .waitFor({ timeout: ms })
      .then(() => true)
      .catch(() => false);
  return { path: await pathOf(page), toDirectMs: direct ? Date.now() - t0 : null };
}

/** The kitchen light shows `state` live (not last known) on a live path. */
async function liveState(page: Page, state: string, timeout: number): Promise<void> {
  await page
    .locator(`[data-entity-id="light.kitchen"][data-state="${state}"][data-stale="false"]`)
    .waitFor({ timeout });
  await page.locator(LIVE).first().waitFor({ timeout });
}

/** One home × phone pair, end to end. Never throws: a failure is `ok: false` with the reason. */
export async function runPhonePair(
  spec: PhoneLabSpec,
  o: PhoneLabOptions = {},
): Promise<PhoneLabResult> {
  const res: PhoneLabResult = {
    home: siteName(spec.home),
    phone: siteName(spec.phone) + (spec.udpBlocked ? ' (no UDP)' : ''),
    udpBlocked: !!spec.udpBlocked,
    ok: false,
    path: '-',
    pathSettled: '-',
    toDirectMs: null,
    coldMs: null,
    warmMs: null,
    warmPath: '-',
    pushMs: null,
  };
  const dir = mkdtempSync(join(tmpdir(), 'porthole-phonelab-'));
  const lab = buildLab({ home: spec.home, client: spec.phone, firewall: true, lossPct: 0 });
  let browser: BrowserContext | undefined;
  let step = 'setup';
  try {
    const rvIp = lab.rendezvousIp;
    const rv = `${rvIp}:${RV_PORT}`;
    if (spec.udpBlocked) {
      const router = lab.ns.clientNats.at(-1);
      if (!router) throw new Error('a UDP-blocked phone needs a router (not "none")');
      nft(router, UDP_BLOCK);
    }
    const tls = selfSignedCert(dir, rvIp, 'porthole-lab');
    const rvArgs = [
      'rendezvous',
      '--listen',
      rv,
      '--alt-ip',
      lab.rendezvousAltIp,
      '--web',
      `${rvIp}:${WEB_PORT}`,
      '--tls-cert',
      tls.cert,
      '--tls-key',
      tls.key,
    ];
    let rvProc = await start(lab.ns.rendezvous, rvArgs, 'phone app');
    const homeDir = join(dir, 'home');
    const cliDir = join(dir, 'cli');
    await runClient(lab.ns.home, ['home', 'init', '--state', homeDir, '--json']);
    await runClient(lab.ns.client, ['client', 'init', '--state', cliDir]);
    await start(
      lab.ns.home,
      ['home', '--state', homeDir, '--rendezvous', rv, '--listen', '0.0.0.0:7401'].concat([
        '--keepalive',
        '1000',
      ]),
      'registered with rendezvous',
    );
    step = 'pairing the CLI client';
    const pairJson = async (): Promise<{ code: string; homeId: string; url?: string }> =>
      JSON.parse(await runClient(lab.ns.home, ['home', 'pair', '--state', homeDir, '--json'])) as {
        code: string;
        homeId: string;
        url?: string;
      };
    const cliCode = await pairJson();
    const paired = await runClient(lab.ns.client, [
      'client',
      'pair',
      cliCode.code,
      '--state',
      cliDir,
      '--json',
    ]);
    if (!paired.includes(cliCode.homeId)) throw new Error(`the CLI did not pair: ${paired}`);
    const cli = (args: string[]): Promise<string> =>
      runClient(lab.ns.client, [
        'client',
        ...args,
        '--state',
        cliDir,
        '--home',
        cliCode.homeId,
        '--json',
      ]);
    const push = async (page: Page, state: 'on' | 'off'): Promise<number> => {
      const out = await cli(['set', 'light.kitchen', state]);
      if (!out.includes(`"state":"${state}"`)) throw new Error(`client set: ${out.slice(0, 300)}`);
      const t = Date.now();
      await liveState(page, state, 10_000);
      return Date.now() - t;
    };

    step = 'the pairing URL';
    // The home learns the app's URL from its rendezvous (serverInfo) just after registering.
    let code = await pairJson();
    for (let i = 0; i < 20 && !code.url; i++) {
      await new Promise((r) => setTimeout(r, 250));
      code = await pairJson();
    }
    if (!code.url) throw new Error('home pair --json printed no "url" (no appUrl announced)');

    step = 'starting Chromium in the phone namespace';
    browser = await phoneBrowserIn(lab.ns.client, dir);
    const page = browser.pages()[0] ?? (await browser.newPage());

    step = 'cold: open the pairing URL, pair, first live state';
    const cold = Date.now();
    await page.goto(code.url, { timeout: 20_000 });
    await page.getByTestId('phone-name').fill(`lab phone ${res.phone}`);
    await page.getByTestId('pair').tap();
    await liveState(page, 'off', 20_000);
    res.coldMs = Date.now() - cold;
    res.path = await pathOf(page);
    const settled = await settle(page, o.settleMs ?? 0);
    res.pathSettled = settled.path;
    res.toDirectMs = settled.toDirectMs;

    step = 'toggle';
    await page.getByTestId('toggle-light.kitchen').tap();
    await liveState(page, 'on', 10_000);
    step = 'a push from the CLI client';
    res.pushMs = await push(page, 'off');

    if (o.warm !== false) {
      step = 'warm: reload, first live state';
      const warm = Date.now();
      await page.reload({ timeout: 20_000 });
      await liveState(page, 'off', 20_000);
      res.warmMs = Date.now() - warm;
      res.warmPath = await pathOf(page);
      step = 'warm: toggle';
      await page.getByTestId('toggle-light.kitchen').tap();
      await liveState(page, 'on', 10_000);
      step = 'warm: a push from the CLI client';
      res.pushMs = Math.max(res.pushMs, await push(page, 'off'));
    }
    if (o.extra) {
      step = 'extra checks';
      await o.extra({
        lab,
        page,
        browser,
        cli,
        stopRendezvous: () => {
          rvProc.kill('SIGKILL');
        },
        startRendezvous: async () => {
          rvProc = await start(lab.ns.rendezvous, rvArgs, 'phone app');
        },
      });
    }
    res.ok = true;
  } catch (e) {
    res.error = `${step}: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    await browser?.close().catch(() => {});
    killLabProcesses();
    lab.teardown();
    rmSync(dir, { recursive: true, force: true });
  }
  return res;
}

/** Every lab router kind for the home × every kind for the phone, and a UDP-blocked phone. */
export function phoneMatrix(kinds = ['none', 'full', 'restricted', 'port', 'symmetric']): string[] {
  return [...kinds.flatMap((h) => kinds.map((p) => `${h}:${p}`)), 'port:port:noudp'];
}

/** `HOME:PHONE[:noudp]`. */
export function parsePhonePair(text: string, parse: (s: string) => SiteSpec): PhoneLabSpec {
  const [h, p, flag, extra] = text.split(':');
  if (!h || !p || extra !== undefined || (flag !== undefined && flag !== 'noudp'))
    throw new Error(`"${text}" is not HOME:PHONE[:noudp]`);
  return { home: parse(h), phone: parse(p), udpBlocked: flag === 'noudp' };
}

export const PHONE_HEADER = `${'home'.padEnd(16)} ${'phone'.padEnd(22)} ok   path      settled   →direct ms  cold ms  warm ms  warm path  push ms`;

export function phoneRow(r: PhoneLabResult): string {
  const f = (x: number | null): string => (x === null ? '-' : String(x));
  return [
    r.home.padEnd(16),
    r.phone.padEnd(22),
    (r.ok ? 'yes' : 'NO').padEnd(4),
    r.path.padEnd(9),
    r.pathSettled.padEnd(9),
    f(r.toDirectMs).padStart(10),
    f(r.coldMs).padStart(7),
    f(r.warmMs).padStart(8),
    ` ${r.warmPath.padEnd(9)}`,
    f(r.pushMs).padStart(8),
    r.error ? `  ${r.error}` : '',
  ].join(' ');
}
