// Home Assistant's WebSocket messages as the HA bridge reads them (src/devices/ha-bridge.ts over
// ha-map.ts): the three registry lists (areas, devices, entities: `result` answers to ids 1-3),
// then `subscribe_entities` events (id 4) — the first the full snapshot, then changes and
// removals. Input: one message per line, JSON as HA sends it (home-assistant-js-websocket hands
// the bridge `result` and `event.event` unchanged). Contract: nothing throws; the store stays
// within MAX_HA_ENTITIES; every state the bridge then serves, fitted to the wire as the RPC server
// fits it, is one the client's own wire parser (parseEntityStateV2) accepts as it is, and the exposure rules decide on it without throwing.
import {
  applyEntitiesEvent,
  areaOf,
  emptyRegistry,
  MAX_HA_ENTITIES,
  parseAreas,
  parseDevices,
  parseEntityRegistry,
  toEntityState,
  type HaEntity,
  type HaRegistry,
} from '../../../src/devices/ha-map.js';
import { isExposed, parseExposure } from '../../../src/devices/exposure.js';
import { parseEntityStateV2 } from '../../../src/devices/model.js';
import { fitState, MAX_RPC } from '../../../src/devices/rpc-wire.js';
import { check, decodes, type FuzzTarget } from '../target.js';

const RULES = parseExposure({
  expose: ['lock.front_door'],
  hide: ['sensor.*'],
  clients: { abcd1234: { expose: ['sensor.outside_temperature'], hide: [] } },
});

const result = (id: number, r: unknown): string =>
  JSON.stringify({ id, type: 'result', success: true, result: r });
const event = (e: unknown): string => JSON.stringify({ id: 4, type: 'event', event: e });

/** A session in the shapes HA sends (written by hand, not captured: starting a real HA here costs minutes). */
function session(events: unknown[]): Uint8Array {
  return Buffer.from(
    [
      result(1, [
        { area_id: 'kitchen', name: 'Kitchen', aliases: [], floor_id: null, icon: null },
        { area_id: 'living_room', name: 'Living Room', aliases: [], floor_id: null, icon: null },
      ]),
      result(2, [
        { id: 'd1a2b3', area_id: 'kitchen', name: 'Ceiling lights', manufacturer: 'Hue' },
        { id: 'd4e5f6', area_id: null, name: 'Thermostat' },
      ]),
      result(3, [
        { entity_id: 'light.ceiling_lights', device_id: 'd1a2b3', area_id: null },
        { entity_id: 'climate.ecobee', device_id: 'd4e5f6', area_id: 'living_room' },
        { entity_id: 'sensor.outside_temperature', device_id: null, area_id: null },
      ]),
      ...events.map(event),
    ].join('\n'),
  );
}

const snapshot = {
  a: {
    'light.ceiling_lights': {
      s: 'on',
      a: {
        brightness: 180,
        color_temp_kelvin: 3500,
        rgb_color: [255, 180, 107],
        supported_color_modes: ['color_temp', 'hs'],
        friendly_name: 'Ceiling Lights',
      },
      c: '01J0ABCDEF',
      lc: 1764770000.123,
    },
    'climate.ecobee': {
      s: 'heat_cool',
      a: { current_temperature: 21.5, hvac_modes: ['off', 'heat', 'cool'], fan_mode: 'auto' },
      lc: 1764770001.5,
      lu: 1764770002,
    },
    'sensor.outside_temperature': {
      s: '15.6',
      a: { unit_of_measurement: '°C', device_class: 'temperature' },
      lc: 1764770003,
    },
    'lock.front_door': { s: 'locked', a: {}, lc: 1764770004 },
    'cover.garage_door': { s: 'closed', a: { device_class: 'garage' }, lc: 1764770005 },
  },
};

function json(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined; // the library drops what is not JSON
  }
}

export const target: FuzzTarget = {
  name: 'ha-ws',
  about:
    'Home Assistant WebSocket messages → the HA bridge (ha-map.ts: registries, subscribe_entities)',
  sources: ['src/devices/ha-map.ts', 'src/devices/exposure.ts', 'src/devices/rpc-wire.ts'],
  maxLen: 8192,
  seeds: () => [
    session([snapshot]),
    session([
      snapshot,
      {
        c: {
          'light.ceiling_lights': { '+': { s: 'off', lc: 1764770100 }, '-': { a: ['rgb_color'] } },
        },
      },
      { c: { 'climate.ecobee': { '+': { a: { current_temperature: 22 } } } } },
      { r: ['sensor.outside_temperature'] },
      { a: { 'switch.decorative_lights': { s: 'on', a: { friendly_name: 'Decorative' }, lc: 1 } } },
    ]),
    session([{ a: {} }, { c: { 'light.nowhere': { '+': { s: 'on' } } } }]),
  ],
  fuzz(data) {
    const store = new Map<string, HaEntity>();
    const registry: HaRegistry = emptyRegistry();
    let first = true;
    for (const line of data.toString('utf8').split('\n')) {
      const m = json(line) as { id?: unknown; type?: unknown; result?: unknown; event?: unknown };
      if (typeof m !== 'object' || m === null) continue;
      if (m.type === 'result' && m.id === 1) registry.areas = decodes(() => parseAreas(m.result))!;
      else if (m.type === 'result' && m.id === 2)
        registry.deviceArea = decodes(() => parseDevices(m.result))!;
      else if (m.type === 'result' && m.id === 3)
        registry.entity = decodes(() => parseEntityRegistry(m.result))!;
      else if (m.type === 'event' && m.id === 4) {
        // The bridge's first event fills a fresh store; the rest change it (the same function).
        if (first) store.clear();
        first = false;
        decodes(() => applyEntitiesEvent(store, m.event));
      }
      check(store.size <= MAX_HA_ENTITIES, `the store grew to ${store.size}`);
    }
    for (const [id, e] of store) {
      check(e.entity_id === id, 'stored under another id');
      const s = decodes(() => toEntityState(e, areaOf(registry, id), false));
      check(s, 'no state');
      // What the home serves (rpc-server fits each state to the wire, v2), as the client's parser
      // reads it off the wire.
      const fitted = decodes(() => fitState(s, 2));
      check(fitted, 'no fitted state');
      const text = JSON.stringify(fitted);
      check(Buffer.byteLength(text) <= MAX_RPC, `a state of ${text.length} characters`);
      const parsed = decodes(() => parseEntityStateV2(JSON.parse(text)));
      check(parsed, 'no parsed state');
      check(parsed.state === fitted.state, `state ${JSON.stringify(s.state).slice(0, 80)} is cut`);
      for (const client of [undefined, 'abcd1234'])
        check(typeof decodes(() => isExposed(RULES, s, client)) === 'boolean', 'exposure');
    }
  },
};
