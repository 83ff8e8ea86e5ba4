// The MQTT bridge against a real broker (mosquitto), with a fake Zigbee2MQTT and a Home Assistant
// discovery device on the other side.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectAsync, type MqttClient } from 'mqtt';
import { openMqttBridge } from '../../src/devices/mqtt-bridge.js';
import type { DeviceSource } from '../../src/devices/model.js';
import { startMosquitto } from '../support/mosquitto.js';

/** A pretend Zigbee2MQTT (kitchen light, front door lock, temperature sensor) and a HA-discovered pump. */
async function fakeDevices(
  url: string,
): Promise<{ client: MqttClient; sets: Array<[string, string]> }> {
  const client = await connectAsync(url);
  const sets: Array<[string, string]> = [];
  const state: Record<string, Record<string, unknown>> = {
    kitchen_light: { state: 'OFF', brightness: 0 },
    front_door: { state: 'LOCK' },
    hall_sensor: { temperature: 21.5, humidity: 40 },
  };
  await client.publishAsync(
    'zigbee2mqtt/bridge/devices',
    JSON.stringify([
      { friendly_name: 'Coordinator', type: 'Coordinator' },
      {
        friendly_name: 'kitchen_light',
        type: 'Router',
        definition: { exposes: [{ type: 'light', features: [] }] },
      },
      {
        friendly_name: 'front_door',
        type: 'EndDevice',
        definition: { exposes: [{ type: 'lock', features: [] }] },
      },
      {
        friendly_name: 'hall_sensor',
        type: 'EndDevice',
        definition: { exposes: [{ type: 'numeric', property: 'temperature' }] },
      },
    ]),
    { retain: true },
  );
  for (const [name, s] of Object.entries(state))
    await client.publishAsync(`zigbee2mqtt/${name}`, JSON.stringify(s), { retain: true });
  await client.publishAsync(
    'homeassistant/switch/garden_pump/config',
    JSON.stringify({
      name: 'Garden pump',
      state_topic: 'garden/pump/state',
      command_topic: 'garden/pump/set',
    }),
    { retain: true },
  );
  await client.publishAsync('garden/pump/state', 'OFF', { retain: true });
  await client.subscribeAsync(['zigbee2mqtt/+/set', 'garden/pump/set']);
  client.on('message', (topic, payload) => {
    sets.push([topic, payload.toString()]);
    if (topic === 'garden/pump/set')
      return void client.publish('garden/pump/state', payload.toString(), { retain: true });
    const name = topic.split('/')[1] as string;
    state[name] = {
      ...state[name],
      ...(JSON.parse(payload.toString()) as Record<string, unknown>),
    };
    client.publish(`zigbee2mqtt/${name}`, JSON.stringify(state[name]), { retain: true });
  });
  return { client, sets };
}

async function until<T>(fn: () => T | undefined, what: string, ms = 5000): Promise<T> {
  for (let t = 0; t < ms; t += 25) {
    const v = fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test(
  'Zigbee2MQTT and Home Assistant discovery devices, commanded through the bridge',
  { timeout: 30_000 },
  async (t) => {
    const broker = await startMosquitto();
    t.after(() => broker.stop());
    const fake = await fakeDevices(broker.url);
    t.after(() => void fake.client.endAsync());
    const bridge: DeviceSource = await openMqttBridge(broker.url);
    t.after(() => bridge.close());

    await until(() => (bridge.list().length >= 4 ? true : undefined), 'four entities');
    const ids = bridge
      .list()
      .map((e) => e.entity_id)
      .sort();
    assert.deepEqual(ids, [
      'light.kitchen_light',
      'lock.front_door',
      'sensor.hall_sensor',
      'switch.garden_pump',
    ]);
    await until(
      () => (bridge.get('sensor.hall_sensor')?.state === '21.5' ? true : undefined),
      'sensor state',
    );
    assert.equal(bridge.get('lock.front_door')?.state, 'locked');

    const changes: string[] = [];
    bridge.subscribe((s) => changes.push(`${s.entity_id}=${s.state}`));
    const light = await bridge.execute('light.kitchen_light', {
      service: 'turn_on',
      brightness: 120,
    });
    assert.equal(light.state, 'on');
    assert.equal(light.attributes.brightness, 120);
    assert.deepEqual(fake.sets[0], [
      'zigbee2mqtt/kitchen_light/set',
      '{"state":"ON","brightness":120}',
    ]);
    const lock = await bridge.execute('lock.front_door', { service: 'unlock' });
    assert.equal(lock.state, 'unlocked');
    const pump = await bridge.execute('switch.garden_pump', { service: 'toggle' });
    assert.equal(pump.state, 'on');
    assert.deepEqual(fake.sets.at(-1), ['garden/pump/set', 'ON']);
    assert.ok(changes.includes('light.kitchen_light=on'));
    await assert.rejects(bridge.execute('sensor.hall_sensor', { service: 'turn_on' }), /read-only/);
    await assert.rejects(bridge.execute('light.nope', { service: 'turn_on' }), /no such entity/);
  },
);

test('an unreachable broker is a clear error', async () => {
  await assert.rejects(
    openMqttBridge('mqtt://127.0.0.1:1', 1000),
    /cannot connect to the MQTT broker at mqtt:\/\/127.0.0.1:1/,
  );
});

test(
  'discovery: abbreviated keys, value templates, locks, covers, climate; states before the device list; removal',
  { timeout: 30_000 },
  async (t) => {
    const broker = await startMosquitto();
    t.after(() => broker.stop());
    const dev = await connectAsync(broker.url);
    t.after(() => void dev.endAsync());
    const retain = { retain: true } as const;
    // Retained state published before the device list: the bridge must still pick it up.
    await dev.publishAsync('zigbee2mqtt/porch', JSON.stringify({ state: 'ON' }), retain);
    await dev.publishAsync(
      'zigbee2mqtt/bridge/devices',
      JSON.stringify([{ friendly_name: 'porch', definition: { exposes: [{ type: 'switch' }] } }]),
      retain,
    );
    const config = (component: string, id: string, c: object) =>
      dev.publishAsync(`homeassistant/${component}/node1/${id}/config`, JSON.stringify(c), retain);
    await config('sensor', 'cellar_temp', {
      '~': 'cellar/env',
      name: 'Cellar temperature',
      stat_t: '~/state',
      val_tpl: '{{ value_json.temperature }}',
      unit_of_meas: '°C',
    });
    await dev.publishAsync('cellar/env/state', JSON.stringify({ temperature: 14.5 }), retain);
    await config('lock', 'shed', {
      name: 'Shed',
      state_topic: 'shed/lock',
      command_topic: 'shed/lock/set',
      payload_lock: 'CLOSE_IT',
      state_locked: 'IS_LOCKED',
      state_unlocked: 'IS_OPEN',
    });
    await dev.publishAsync('shed/lock', 'IS_OPEN', retain);
    await config('cover', 'blind', {
      name: 'Blind',
      state_topic: 'blind/state',
      command_topic: 'blind/set',
    });
    await dev.publishAsync('blind/state', 'closed', retain);
    await config('climate', 'office', {
      name: 'Office',
      temperature_command_topic: 'office/target/set',
      temperature_state_topic: 'office/target',
      current_temperature_topic: 'office/now',
      mode_state_topic: 'office/mode',
    });
    await dev.publishAsync('office/mode', 'heat', retain);
    await dev.publishAsync('office/now', '19.5', retain);
    await dev.publishAsync('office/target', '20', retain);
    const sets: Array<[string, string]> = [];
    await dev.subscribeAsync(['shed/lock/set', 'blind/set', 'office/target/set']);
    dev.on('message', (topic, payload) => {
      sets.push([topic, payload.toString()]);
      if (topic === 'shed/lock/set') dev.publish('shed/lock', 'IS_LOCKED', retain);
      if (topic === 'blind/set') dev.publish('blind/state', 'opening', retain);
      if (topic === 'office/target/set') dev.publish('office/target', payload.toString(), retain);
    });

    const bridge = await openMqttBridge(broker.url);
    t.after(() => bridge.close());
    const want = {
      'switch.porch': 'on',
      'sensor.cellar_temp': '14.5',
      'lock.shed': 'unlocked',
      'cover.blind': 'closed',
      'climate.office': 'heat',
    };
    await until(
      () =>
        Object.entries(want).every(([id, s]) => bridge.get(id)?.state === s) ? true : undefined,
      `states ${JSON.stringify(want)}; have ${JSON.stringify(bridge.list().map((e) => [e.entity_id, e.state]))}`,
    );
    assert.equal(bridge.get('sensor.cellar_temp')?.attributes.unit_of_measurement, '°C');
    assert.equal(bridge.get('climate.office')?.attributes.current_temperature, 19.5);

    assert.equal((await bridge.execute('lock.shed', { service: 'lock' })).state, 'locked');
    assert.equal((await bridge.execute('cover.blind', { service: 'toggle' })).state, 'opening');
    const office = await bridge.execute('climate.office', {
      service: 'set_temperature',
      temperature: 22.5,
    });
    assert.equal(office.attributes.temperature, 22.5);
    assert.deepEqual(sets, [
      ['shed/lock/set', 'CLOSE_IT'],
      ['blind/set', 'OPEN'],
      ['office/target/set', '22.5'],
    ]);

    // An empty retained config removes the entity.
    await dev.publishAsync('homeassistant/cover/node1/blind/config', '', retain);
    await until(() => (bridge.get('cover.blind') ? undefined : true), 'blind removed');
  },
);
