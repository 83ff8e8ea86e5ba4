// MQTT payloads the device bridge reads (src/devices/mqtt-ha.ts, mqtt-z2m.ts): Home Assistant
// discovery configs and state payloads, Zigbee2MQTT device lists and states. Input: a topic line,
// then the payload. The parsers return a typed value or undefined and never throw; what they
// produce is bounded (short states, valid entity ids).
import { parseEntityId } from '../../../src/devices/model.js';
import { haUpdate, parseDiscovery } from '../../../src/devices/mqtt-ha.js';
import { z2mDomain, z2mState, type Json } from '../../../src/devices/mqtt-z2m.js';
import { check, decodes, headed, splitHead, type FuzzTarget } from '../target.js';

function json(b: Buffer): unknown {
  try {
    return JSON.parse(b.toString('utf8'));
  } catch {
    return undefined;
  }
}

export const target: FuzzTarget = {
  name: 'mqtt',
  about: 'src/devices mqtt-ha parseDiscovery/haUpdate, mqtt-z2m z2mDomain/z2mState (MQTT payloads)',
  sources: ['src/devices/mqtt-ha.ts', 'src/devices/mqtt-z2m.ts'],
  maxLen: 4096,
  seeds: () => [
    headed(
      'homeassistant/light/kitchen/config',
      JSON.stringify({
        '~': 'home/kitchen',
        name: 'Kitchen',
        cmd_t: '~/set',
        stat_t: '~/state',
        pl_on: 'ON',
        pl_off: 'OFF',
      }),
    ),
    headed(
      'homeassistant/sensor/hall/temp/config',
      JSON.stringify({
        name: 'Hall temperature',
        state_topic: 'hall/sensor',
        value_template: '{{ value_json.temperature }}',
        unit_of_measurement: '°C',
        device_class: 'temperature',
      }),
    ),
    headed(
      'homeassistant/climate/living/config',
      JSON.stringify({
        mode_command_topic: 'living/mode/set',
        mode_state_topic: 'living/mode',
        current_temperature_topic: 'living/temp',
        temperature_command_topic: 'living/target/set',
      }),
    ),
    headed(
      'zigbee2mqtt/bridge/devices',
      JSON.stringify([
        {
          friendly_name: 'lamp',
          type: 'Router',
          definition: { exposes: [{ type: 'light', features: [{ property: 'state' }] }] },
        },
        { friendly_name: 'door', definition: { exposes: [{ property: 'contact' }] } },
      ]),
    ),
    headed('zigbee2mqtt/lamp', JSON.stringify({ state: 'ON', brightness: 128, linkquality: 90 })),
  ],
  fuzz(data) {
    const { head: topic, body } = splitHead(data);
    const payload = json(body);
    if (topic === 'zigbee2mqtt/bridge/devices' || topic.startsWith('zigbee2mqtt/')) {
      const list = Array.isArray(payload) ? (payload as Json[]) : [payload as Json];
      for (const d of list) {
        if (typeof d !== 'object' || d === null) continue;
        const domain = decodes(() => z2mDomain(d));
        if (!domain) continue;
        const s = decodes(() => z2mState(domain, d));
        check(s && typeof s.state === 'string', 'z2m state');
      }
      return;
    }
    const d = decodes(() => parseDiscovery(topic, payload));
    if (!d) return;
    check(
      decodes(() => parseEntityId(d.entityId)),
      `discovery made entity id ${d.entityId}`,
    );
    for (const t of d.route.topics) {
      const u = decodes(() => haUpdate(d.route, t.role, t.jsonKey, body));
      if (u?.state !== undefined) check(u.state.length <= 64, 'an HA state over 64 characters');
    }
  },
};
