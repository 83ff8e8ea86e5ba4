// The web app in real Chromium: toggling a light card reaches the home through Porthole, changes
// the device behind the home's MQTT bridge, and shows up as the matching /set publish on the
// real mosquitto broker.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectAsync, type MqttClient } from 'mqtt';
import { startAppServer } from '../../src/app/server.js';
import { AppSession } from '../../src/app/session.js';
import { LOOPBACK, startLocalStack } from '../support/local-stack.js';
import { reach } from '../../src/client/reach.js';
import { openMqttBridge } from '../../src/devices/mqtt-bridge.js';
import { serveDevices } from '../../src/devices/rpc-server.js';
import { serveApp } from '../../src/home/secure-peers.js';
import { realEnv } from '../../src/net/real-env.js';
import { silentLogger } from '../../src/net/types.js';
import { launchChromium } from '../support/browser.js';
import { startMosquitto } from '../support/mosquitto.js';

async function fakeLight(url: string): Promise<{ client: MqttClient; sets: string[] }> {
  const client = await connectAsync(url);
  const sets: string[] = [];
  let state: Record<string, unknown> = { state: 'OFF', brightness: 0 };
  await client.publishAsync(
    'zigbee2mqtt/bridge/devices',
    JSON.stringify([
      { friendly_name: 'kitchen', type: 'Router', definition: { exposes: [{ type: 'light' }] } },
    ]),
    { retain: true },
  );
  await client.publishAsync('zigbee2mqtt/kitchen', JSON.stringify(state), { retain: true });
  await client.subscribeAsync('zigbee2mqtt/kitchen/set');
  client.on('message', (_t, payload) => {
    sets.push(payload.toString());
    state = { ...state, ...(JSON.parse(payload.toString()) as Record<string, unknown>) };
    client.publish('zigbee2mqtt/kitchen', JSON.stringify(state), { retain: true });
  });
  return { client, sets };
}

test(
  'toggle a light in the web app: the home changes it and the broker sees the /set',
  { timeout: 90_000 },
  async (t) => {
    const broker = await startMosquitto();
    t.after(() => broker.stop());
    const light = await fakeLight(broker.url);
    t.after(() => void light.client.endAsync());
    const bridge = await openMqttBridge(broker.url);
    t.after(() => bridge.close());

    const env = realEnv(silentLogger);
    const stack = await startLocalStack(env, 'app-home');
    t.after(() => stack.close());
    serveApp(stack.home, undefined, (ch) => void serveDevices(ch, bridge, env.clock));

    const session = new AppSession(
      () =>
        reach(env, {
          home: 'app-home',
          rendezvous: stack.rvAddr,
          bindIp: LOOPBACK.client,
          sockets: 20,
        }),
      env,
    );
    t.after(() => session.close());
    const server = await startAppServer(session, { port: 0 });
    t.after(() => server.close());
    await session.start();

    const browser = await launchChromium();
    t.after(() => browser.close());
    const page = await browser.newPage();
    await page.goto(server.url);
    const state = page.getByTestId('state-light.kitchen');
    await state.waitFor({ timeout: 15_000 });
    assert.equal(await state.textContent(), 'off');
    await page.getByTestId('badge').filter({ hasText: 'punched' }).waitFor({ timeout: 10_000 });

    await page.getByTestId('toggle-light.kitchen').click();
    await page
      .getByTestId('state-light.kitchen')
      .filter({ hasText: /^on$/ })
      .waitFor({ timeout: 10_000 });
    assert.deepEqual(light.sets, ['{"state":"ON"}']);
    assert.equal(bridge.get('light.kitchen')?.state, 'on');
    await page.screenshot({ path: '/tmp/porthole-app.png' });
  },
);
