// Keys from the network that name Object.prototype members (found by the fuzz target mqtt): an
// HA discovery config with a `constructor` key threw "key.endsWith is not a function" (the device
// was dropped), a state payload "constructor" or "toString" became a function instead of a state,
// and a command to an entity of domain `constructor` or `__proto__` threw a TypeError instead of
// "read-only".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toServiceCall } from '../../src/devices/ha-map.js';
import { DeviceError } from '../../src/devices/model.js';
import { haUpdate, parseDiscovery } from '../../src/devices/mqtt-ha.js';

const config = {
  '~': 'home/kitchen',
  constructor: 'hall/sensor',
  toString: 'x',
  name: 'Kitchen',
  cmd_t: '~/set',
  stat_t: '~/state',
  pl_on: 'ON',
  pl_off: 'OFF',
};

test('mqtt discovery: a config key named like a prototype member is just a key', () => {
  const d = parseDiscovery('homeassistant/light/kitchen/config', config);
  assert.ok(d, 'the light is discovered');
  assert.equal(d.entityId, 'light.kitchen');
});

test('mqtt state: a payload named like a prototype member is a plain state', () => {
  const d = parseDiscovery('homeassistant/switch/kitchen/config', config);
  assert.ok(d);
  for (const payload of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    const u = haUpdate(d.route, 'state', undefined, Buffer.from(payload));
    assert.equal(typeof u?.state, 'string', payload);
  }
  assert.equal(haUpdate(d.route, 'state', undefined, Buffer.from('ON'))?.state, 'on');
});

test('ha commands: an entity of domain constructor or __proto__ is read-only', () => {
  for (const id of ['constructor.x', '__proto__.x', 'tostring.x'])
    assert.throws(
      () => toServiceCall(id, { service: 'turn_on' }),
      (e: unknown) => e instanceof DeviceError && /read-only|entity id/.test(e.message),
      id,
    );
});
