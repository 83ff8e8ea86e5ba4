// The device commands in-process over an in-memory channel to the simulated house: output in both
// formats, exit codes, and live watching.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import { registerDeviceCommands } from '../../src/devices/cli.js';
import { serveDevices } from '../../src/devices/rpc-server.js';
import { SimulatedHouse } from '../../src/devices/simulated.js';
import { realClock } from '../../src/net/real-env.js';
import { channelPair } from '../support/fakes.js';

function cli(house: SimulatedHouse) {
  const out: string[] = [];
  const err: string[] = [];
  let code = -1;
  let opened = 0;
  const program = new Command().exitOverride();
  const client = program.command('client');
  registerDeviceCommands(
    client,
    (opts) => {
      opened++;
      assert.equal(typeof opts, 'object');
      const [a, b] = channelPair(realClock);
      const served = serveDevices(b, house, realClock);
      return Promise.resolve({ ...a, close: () => served.close() });
    },
    {
      out: (l) => void out.push(l),
      err: (l) => void err.push(l),
      exit: (c) => void (code = c),
      interrupted: () => new Promise(() => {}),
    },
  );
  return {
    out,
    err,
    opened: () => opened,
    async run(...args: string[]): Promise<number> {
      out.length = 0;
      err.length = 0;
      code = -1;
      await program.parseAsync(['client', ...args], { from: 'user' });
      return code;
    },
  };
}

test('devices, get and set, as text and as JSON', async (t) => {
  const house = new SimulatedHouse(realClock);
  t.after(() => house.close());
  const c = cli(house);
  assert.equal(await c.run('devices'), 0);
  assert.ok(
    c.out.some((l) => /^light\.kitchen\s+off/.test(l)),
    c.out.join('\n'),
  );
  assert.equal(await c.run('devices', '--json'), 0);
  assert.equal(c.out.length, house.list().length);
  const first = JSON.parse(c.out[0] as string) as { entity_id: string };
  assert.equal(first.entity_id, house.list()[0]?.entity_id);

  assert.equal(await c.run('set', 'light.kitchen', 'brightness=50', '--json'), 0);
  const s = JSON.parse(c.out[0] as string) as { state: string; attributes: { brightness: number } };
  assert.equal(s.state, 'on');
  assert.equal(s.attributes.brightness, 50);
  assert.equal(house.get('light.kitchen')?.attributes.brightness, 50);

  assert.equal(await c.run('get', 'light.kitchen'), 0);
  assert.match(c.out[0] as string, /^light\.kitchen\s+on\s+brightness 50$/);
  assert.equal(await c.run('set', 'climate.thermostat', 'temperature=22.5'), 0);
  assert.equal(house.get('climate.thermostat')?.attributes.temperature, 22.5);
  assert.equal(await c.run('set', 'lock.front_door', 'unlock'), 0);
  assert.equal(house.get('lock.front_door')?.state, 'unlocked');
});

test('clear errors and exit codes: 2 for bad usage, 1 for what the home refuses', async (t) => {
  const house = new SimulatedHouse(realClock);
  t.after(() => house.close());
  const c = cli(house);
  assert.equal(await c.run('set', 'kitchen', 'on'), 2);
  assert.match(c.err[0] as string, /not an entity id like light\.kitchen/);
  assert.equal(await c.run('set', 'light.kitchen', 'brightness=900'), 2);
  assert.match(c.err[0] as string, /brightness must be a number from 0 to 255/);
  assert.equal(await c.run('set', 'lock.front_door', 'on', '--json'), 1);
  const refused = JSON.parse(c.out[0] as string) as { error: string };
  assert.match(refused.error, /supports lock, unlock/);
  assert.equal(await c.run('get', 'light.attic'), 1);
  assert.match(c.err[0] as string, /no such entity: light\.attic/);
  assert.equal(await c.run('watch', '--duration', 'soon'), 2);
  assert.equal(c.opened(), 2, 'usage errors never open a connection');
});

test('watch prints changes live until its duration ends', async (t) => {
  const house = new SimulatedHouse(realClock);
  t.after(() => house.close());
  const c = cli(house);
  const done = c.run('watch', '--json', '--duration', '0.5');
  setTimeout(() => void house.execute('switch.coffee_maker', { service: 'turn_on' }), 100);
  assert.equal(await done, 0);
  const seen = c.out.map((l) => JSON.parse(l) as { entity_id: string; state: string });
  assert.ok(seen.some((s) => s.entity_id === 'switch.coffee_maker' && s.state === 'on'));
});
