// The simulated house on a fake clock: commands behave like the real devices they stand for.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SimulatedHouse } from '../../src/devices/simulated.js';
import { openDeviceSource } from '../../src/devices/source.js';
import { FakeClock } from '../support/fakes.js';

const house = (): { clock: FakeClock; h: SimulatedHouse } => {
  const clock = new FakeClock();
  return { clock, h: new SimulatedHouse(clock, () => 1_700_000_000_000 + clock.now()) };
};

test('the default house has one of each kind of device', () => {
  const { h } = house();
  const domains = new Set(h.list().map((e) => e.entity_id.split('.')[0]));
  for (const d of ['light', 'switch', 'sensor', 'binary_sensor', 'climate', 'lock', 'cover'])
    assert.ok(domains.has(d), d);
  assert.ok(h.list().filter((e) => e.entity_id.startsWith('light.')).length >= 3);
  h.close();
});

test('lights: on with brightness and colour temperature, off, toggle', async () => {
  const { h } = house();
  const on = await h.execute('light.kitchen', {
    service: 'turn_on',
    brightness: 128,
    color_temp: 250,
  });
  assert.equal(on.state, 'on');
  assert.equal(on.attributes.brightness, 128);
  assert.equal(on.attributes.color_temp, 250);
  assert.equal((await h.execute('light.kitchen', { service: 'toggle' })).state, 'off');
  const again = await h.execute('light.kitchen', { service: 'toggle' });
  assert.equal(again.state, 'on');
  assert.equal(again.attributes.brightness, 255, 'back on at full brightness');
  h.close();
});

test('the garage door takes a moment to open, and reports it', async () => {
  const { clock, h } = house();
  const seen: string[] = [];
  h.subscribe((e) => e.entity_id === 'cover.garage_door' && seen.push(e.state));
  assert.equal((await h.execute('cover.garage_door', { service: 'open' })).state, 'opening');
  clock.advance(1000);
  assert.equal(h.get('cover.garage_door')?.state, 'opening');
  clock.advance(5000);
  assert.equal(h.get('cover.garage_door')?.state, 'open');
  assert.equal(h.get('cover.garage_door')?.attributes.current_position, 100);
  assert.deepEqual(seen, ['opening', 'open']);
  // Reversing mid-way: the later command wins.
  await h.execute('cover.garage_door', { service: 'close' });
  clock.advance(1000);
  await h.execute('cover.garage_door', { service: 'open' });
  clock.advance(10_000);
  assert.equal(h.get('cover.garage_door')?.state, 'open');
  h.close();
});

test('the room temperature drifts around the thermostat target, and cools with heating off', async () => {
  const { clock, h } = house();
  const temps: number[] = [];
  for (let i = 0; i < 60; i++) {
    clock.advance(30_000);
    temps.push(Number(h.get('sensor.living_room_temperature')?.state));
  }
  const late = temps.slice(20);
  assert.ok(Math.min(...late) >= 20.5 && Math.max(...late) <= 21.5, late.join());
  assert.ok(new Set(late).size > 1, 'it keeps drifting');
  await h.execute('climate.thermostat', { service: 'set_temperature', temperature: 23 });
  clock.advance(30 * 60_000);
  assert.ok(Number(h.get('climate.thermostat')?.attributes.current_temperature) > 22);
  await h.execute('climate.thermostat', { service: 'turn_off' });
  clock.advance(24 * 3600_000);
  assert.equal(h.get('climate.thermostat')?.attributes.current_temperature, 12);
  assert.equal(h.get('climate.thermostat')?.attributes.hvac_action, 'off');
  h.close();
});

test('locks, switches and clear errors for what a device cannot do', async () => {
  const { h } = house();
  assert.equal((await h.execute('lock.front_door', { service: 'unlock' })).state, 'unlocked');
  assert.equal((await h.execute('switch.coffee_maker', { service: 'toggle' })).state, 'on');
  await assert.rejects(h.execute('lock.front_door', { service: 'turn_on' }), /supports lock/);
  await assert.rejects(
    h.execute('binary_sensor.front_door_contact', { service: 'toggle' }),
    /read-only/,
  );
  await assert.rejects(h.execute('light.attic', { service: 'toggle' }), /no such entity/);
  h.close();
});

test('openDeviceSource: simulated, or a clear error for anything else', async () => {
  const clock = new FakeClock();
  const s = await openDeviceSource('simulated', clock);
  assert.ok(s.get('light.kitchen'));
  s.close();
  await assert.rejects(
    openDeviceSource('zigbee://x', clock),
    /expected "simulated" or mqtt:\/\/HOST:PORT/,
  );
});
