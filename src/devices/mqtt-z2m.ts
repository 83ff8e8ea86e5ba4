// Zigbee2MQTT's conventions, translated to and from the Home Assistant-style model:
// `zigbee2mqtt/bridge/devices` lists devices with their "exposes", `zigbee2mqtt/<name>` carries a
// state JSON, and commands are JSON published to `zigbee2mqtt/<name>/set`.
import type { Command, Domain, EntityState } from './model.js';

export type Json = Record<string, unknown>;

/** The Home Assistant domain a Zigbee2MQTT device exposes itself as (undefined: not bridged). */
export function z2mDomain(device: Json): Domain | undefined {
  const def = device.definition as Json | undefined;
  const exposes = Array.isArray(def?.exposes) ? (def.exposes as Json[]) : [];
  for (const t of ['light', 'switch', 'lock', 'cover', 'climate'] as const) {
    if (exposes.some((e) => e?.type === t)) return t;
  }
  const props = exposes.map((e) => e?.property ?? e?.name);
  if (props.includes('temperature')) return 'sensor';
  if (props.includes('contact') || props.includes('occupancy')) return 'binary_sensor';
  return undefined;
}

const NUMERIC = [
  'brightness',
  'color_temp',
  'position',
  'local_temperature',
  'current_heating_setpoint',
  'occupied_heating_setpoint',
  'temperature',
  'humidity',
  'battery',
  'linkquality',
];

/** Zigbee2MQTT state JSON → Home Assistant-style state and attributes. */
export function z2mState(domain: Domain, j: Json): Pick<EntityState, 'state' | 'attributes'> {
  const attrs: EntityState['attributes'] = {};
  for (const k of NUMERIC) if (typeof j[k] === 'number') attrs[k] = j[k];
  const s = typeof j.state === 'string' ? j.state.toUpperCase() : '';
  switch (domain) {
    case 'light':
    case 'switch':
      return { state: s === 'ON' ? 'on' : s === 'OFF' ? 'off' : 'unknown', attributes: attrs };
    case 'lock': {
      const ls = typeof j.lock_state === 'string' ? j.lock_state.toUpperCase() : s;
      const state =
        ls === 'LOCK' || ls === 'LOCKED'
          ? 'locked'
          : ls === 'UNLOCK' || ls === 'UNLOCKED'
            ? 'unlocked'
            : 'unknown';
      return { state, attributes: attrs };
    }
    case 'cover':
      if (typeof j.position === 'number') attrs.current_position = j.position;
      return {
        state: s === 'OPEN' ? 'open' : s === 'CLOSE' || s === 'CLOSED' ? 'closed' : 'unknown',
        attributes: attrs,
      };
    case 'climate': {
      const setpoint = j.current_heating_setpoint ?? j.occupied_heating_setpoint;
      if (typeof setpoint === 'number') attrs.temperature = setpoint;
      if (typeof j.local_temperature === 'number') attrs.current_temperature = j.local_temperature;
      return {
        state: typeof j.system_mode === 'string' ? j.system_mode.slice(0, 32) : 'heat',
        attributes: attrs,
      };
    }
    case 'sensor':
      return {
        state: typeof j.temperature === 'number' ? String(j.temperature) : 'unknown',
        attributes: { ...attrs, unit_of_measurement: '°C', device_class: 'temperature' },
      };
    case 'binary_sensor':
      // A door contact reports contact=true when closed; Home Assistant's state is "on" when open.
      return {
        state: j.contact === false || j.occupancy === true ? 'on' : 'off',
        attributes: attrs,
      };
  }
}

/** A command → the Zigbee2MQTT /set payload (`current` picks toggles and the setpoint key). */
export function z2mSet(cmd: Command, current: EntityState): Json {
  switch (cmd.service) {
    case 'turn_on':
      if (current.entity_id.startsWith('climate.')) return { system_mode: 'heat' };
      return {
        state: 'ON',
        ...(cmd.brightness !== undefined ? { brightness: cmd.brightness } : {}),
        ...(cmd.color_temp !== undefined ? { color_temp: cmd.color_temp } : {}),
      };
    case 'turn_off':
      if (current.entity_id.startsWith('climate.')) return { system_mode: 'off' };
      return { state: 'OFF' };
    case 'toggle':
      if (current.entity_id.startsWith('cover.'))
        return { state: current.state === 'open' ? 'CLOSE' : 'OPEN' };
      return { state: current.state === 'on' ? 'OFF' : 'ON' };
    case 'set_temperature':
      // Thermostats name their setpoint differently; answer in the key the device reports.
      return current.attributes.occupied_heating_setpoint !== undefined
        ? { occupied_heating_setpoint: cmd.temperature }
        : { current_heating_setpoint: cmd.temperature };
    case 'lock':
      return { state: 'LOCK' };
    case 'unlock':
      return { state: 'UNLOCK' };
    case 'open':
      return { state: 'OPEN' };
    case 'close':
      return { state: 'CLOSE' };
    default:
      // Wire-v2 services; checkSupported refuses them before this.
      return {};
  }
}
