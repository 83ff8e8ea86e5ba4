// Home Assistant's own frontend through Porthole (issue 19 item 5), all real: HA Core (the cached
// venv, `frontend:` on), `porthole home serve ha=127.0.0.1:PORT --all-paired`, `porthole client
// forward` (its own kept connection), and Debian's Chromium loading HA through the forward: the
// login page, the onboarded user's login, an entity toggled from the loaded frontend (its
// WebSocket rides the same forward), the new state checked over HA's REST API directly. A wrong
// password sent through the forward shows HA the client's own source address (127.0.0.x), so its
// login ban hits that client only.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { clientSourceAddress } from '../../src/streams/services.js';
import { launchChromium } from '../support/browser.js';
import { jsonLine, pairedStack, Procs, run } from '../support/cli.js';
import { startHomeAssistant } from '../support/home-assistant.js';

const BASE = 24_000 + (process.pid % 2000) * 4;
const procs = new Procs();
after(() => procs.stopAll());

test(
  "Home Assistant's frontend through client forward: login, toggle, per-client source",
  { timeout: 300_000 },
  async () => {
    const ha = await startHomeAssistant({ extraConfig: 'frontend:\n' });
    after(() => ha.stop());
    const { home, clients } = await pairedStack(procs, {
      rvArgs: ['--listen', `127.0.0.2:${BASE}`],
      homeListen: `127.0.0.3:${BASE + 1}`,
      clients: ['laptop'],
    });
    const laptop = clients.laptop as string;
    const fp = String(
      jsonLine(run(['home', 'clients', '--state', home, '--json']).stdout).fingerprint,
    );
    const add = run(['home', 'serve', `ha=127.0.0.1:${ha.port}`, '--all-paired', '--state', home]);
    assert.equal(add.status, 0, add.stderr);
    const fwd = JSON.parse(
      await procs.firstLine([
        'client',
        'forward',
        `${BASE + 2}:ha`,
        '--state',
        laptop,
        '--bind',
        '127.0.0.4',
        '--json',
      ]),
    ) as { listen: string };
    const url = `http://${fwd.listen}`;

    // A wrong password through the forward: HA logs (and would ban) the client's own address.
    const flow = (await (
      await fetch(`${url}/auth/login_flow`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_id: `${url}/`,
          handler: ['homeassistant', null],
          redirect_uri: `${url}/?auth_callback=1`,
        }),
      })
    ).json()) as { flow_id: string };
    const wrong = (await (
      await fetch(`${url}/auth/login_flow/${flow.flow_id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'porthole', password: 'wrong', client_id: `${url}/` }),
      })
    ).json()) as { errors?: { base?: string } };
    assert.equal(wrong.errors?.base, 'invalid_auth');
    const source = clientSourceAddress(fp);
    const end = Date.now() + 10_000;
    while (!ha.log().includes(`(${source})`) && Date.now() < end)
      await new Promise((r) => setTimeout(r, 100));
    assert.ok(ha.log().includes(`(${source})`), `HA saw ${source}:\n${ha.log().slice(-1500)}`);

    // The onboarding steps after the user (the support onboarded the user only): without them
    // the frontend stays on its onboarding page.
    for (const [step, body] of [
      ['core_config', {}],
      ['analytics', {}],
      ['integration', { client_id: `${url}/`, redirect_uri: `${url}/?auth_callback=1` }],
    ] as const) {
      const r = await fetch(`${ha.http}/api/onboarding/${step}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ha.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.ok(r.ok || r.status === 403, `onboarding ${step}: HTTP ${r.status}`);
    }

    // Chromium through the forward: HA's login page, the onboarded user, the frontend.
    const ctx = await launchChromium({ width: 1280, height: 800 });
    after(() => ctx.close());
    const page = await ctx.newPage();
    const consoleLines: string[] = [];
    page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`.slice(0, 300)));
    page.on('requestfailed', (r) =>
      consoleLines.push(`failed: ${r.url()} ${r.failure()?.errorText}`),
    );
    const t0 = Date.now();
    await page.goto(`${url}/`, { timeout: 60_000 });
    await page.locator('input[name="username"]').fill('porthole', { timeout: 60_000 });
    await page.locator('input[name="password"]').fill('porthole-test-password');
    await page.keyboard.press('Enter');
    const entity = 'switch.decorative_lights';
    await page
      .waitForFunction(
        (id) =>
          (document.querySelector('home-assistant') as unknown as { hass?: { states?: object } })
            ?.hass?.states?.[id as never] !== undefined,
        entity,
        { timeout: 90_000 },
      )
      .catch(async (e: Error) => {
        await page.screenshot({ path: '/tmp/sr/ha-fail.png' }).catch(() => {});
        throw new Error(
          `${e.message}; at ${page.url()}; console:\n${consoleLines.slice(-30).join('\n')}`,
        );
      });
    const loggedIn = Date.now() - t0;

    const rest = async (): Promise<string> => {
      const r = await fetch(`${ha.http}/api/states/${entity}`, {
        headers: { authorization: `Bearer ${ha.token}` },
      });
      return ((await r.json()) as { state: string }).state;
    };
    const before = await rest();
    // The toggle, from the loaded frontend: its own WebSocket connection, through the forward.
    await page.evaluate((id) => {
      const hass = (
        document.querySelector('home-assistant') as unknown as {
          hass: { callService(d: string, s: string, data: object): Promise<unknown> };
        }
      ).hass;
      return hass.callService('switch', 'toggle', { entity_id: id });
    }, entity);
    let after_ = before;
    const stop = Date.now() + 10_000;
    while (after_ === before && Date.now() < stop) {
      await new Promise((r) => setTimeout(r, 100));
      after_ = await rest();
    }
    assert.notEqual(after_, before, `${entity} toggled (was ${before})`);
    const st = jsonLine(run(['home', 'serve', '--list', '--state', home, '--json']).stdout);
    assert.equal(st.name, 'ha');
    process.stderr.write(
      `HA ${ha.startSeconds.toFixed(1)} s to start; frontend loaded and logged in through the ` +
        `forward in ${loggedIn} ms; ${entity} ${before} → ${after_}; HA saw ${source}\n`,
    );
  },
);
