// startApp in real Chromium on a phone-sized screen, with the simulated house behind the RPC
// layer over an in-memory channel: toggles, sliders and live (SSE) updates reach the home and
// come back; the API refuses what other web pages could send.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { startApp } from '../../src/app/start.js';
import { DeviceClient } from '../../src/devices/rpc-client.js';
import { serveDevices } from '../../src/devices/rpc-server.js';
import { SimulatedHouse } from '../../src/devices/simulated.js';
import { cryptoRandom, realClock } from '../../src/net/real-env.js';
import { launchChromium } from '../support/browser.js';
import { channelPair } from '../support/fakes.js';

/** A raw HTTP request (fetch would not let us forge Host). */
function raw(
  url: string,
  method: string,
  headers: Record<string, string>,
  body = '',
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

test(
  'dashboard on a phone: toggle, dim, open the garage live; foreign requests refused',
  { timeout: 60_000 },
  async (t) => {
    const house = new SimulatedHouse(realClock);
    t.after(() => house.close());
    const [clientEnd, homeEnd] = channelPair(realClock);
    const served = serveDevices(homeEnd, house, realClock);
    t.after(() => served.close());
    const client = new DeviceClient(clientEnd, realClock, cryptoRandom);
    t.after(() => client.close());
    let link: { path: string; rttMs?: number; state: 'connected' | 'reconnecting' } = {
      path: 'relayed',
      rttMs: 12.3,
      state: 'connected',
    };
    const app = await startApp({ port: 0, client, status: () => link, statusPollMs: 100 });
    t.after(() => app.close());

    const browser = await launchChromium({ width: 390, height: 844 });
    t.after(() => browser.close());
    const page = await browser.newPage();
    await page.goto(app.url);
    await page.getByTestId('badge').filter({ hasText: 'relayed · 12.3 ms' }).waitFor();
    const kitchen = page.getByTestId('state-light.kitchen');
    await kitchen.filter({ hasText: /^off$/ }).waitFor({ timeout: 10_000 });

    await page.getByTestId('toggle-light.kitchen').click();
    await kitchen.filter({ hasText: /^on$/ }).waitFor({ timeout: 10_000 });
    assert.equal(house.get('light.kitchen')?.state, 'on');

    await page.locator('[data-entity-id="light.kitchen"] input[type=range]').fill('60');
    for (let i = 0; i < 100 && house.get('light.kitchen')?.attributes.brightness !== 60; i++)
      await new Promise((r) => setTimeout(r, 50));
    assert.equal(house.get('light.kitchen')?.attributes.brightness, 60);

    await page.locator('[data-entity-id="climate.thermostat"] button[aria-label=warmer]').click();
    await page.getByTestId('target-climate.thermostat').filter({ hasText: '21.5' }).waitFor();
    assert.equal(house.get('climate.thermostat')?.attributes.temperature, 21.5);

    // A change made at the home (not through the page) arrives live.
    await house.execute('cover.garage_door', { service: 'open' });
    const garage = page.getByTestId('state-cover.garage_door');
    await garage.filter({ hasText: /^opening$/ }).waitFor({ timeout: 5000 });
    await garage.filter({ hasText: /^open$/ }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: '/tmp/porthole-app-phone.png', fullPage: true });

    link = { path: 'punched', state: 'reconnecting' };
    await page.getByTestId('badge').filter({ hasText: 'reconnecting' }).waitFor();

    const unlock = JSON.stringify({ command: { service: 'unlock' } });
    const target = `${app.url}/api/devices/lock.front_door`;
    assert.equal(await raw(target, 'POST', { 'content-type': 'text/plain' }, unlock), 415);
    assert.equal(
      await raw(
        target,
        'POST',
        { 'content-type': 'application/json', origin: 'http://evil.example' },
        unlock,
      ),
      403,
    );
    assert.equal(await raw(`${app.url}/api/devices`, 'GET', { host: 'evil.example:80' }), 403);
    assert.equal(house.get('lock.front_door')?.state, 'locked');
  },
);
