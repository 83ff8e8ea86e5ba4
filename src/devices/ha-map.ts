// Home Assistant → Porthole's device model, and Porthole commands → one HA service call. Pure
// functions over untrusted JSON (whatever the WebSocket brings): every shape is checked, every
// size bounded, nothing throws except DeviceError for a command the entity can't take.
//
// States come from `subscribe_entities`, HA's compressed state stream: {a: {id: {s, a, lc, lu}}}
// adds (the first message has every entity), {c: {id: {"+": {s?, a?, lc?}, "-": {a: [keys]}}}}
// changes, {r: [ids]} removals. The registries (areas, devices, entities) give each entity its
// area: its own, else its device's.
import {
  DeviceError,
  parseAnyEntityId,
  type AttributeList,
  type AttributeValue,
  type Command,
  type EntityState,
} from './model.js';

export const MAX_HA_ENTITIES = 5000;
const MAX_KEYS = 64;
const MAX_TEXT = 256;
const MAX_LIST = 16;
const MAX_STATE = 255;

/** One entity as the bridge keeps it: HA's fields, sizes bounded. */
export interface HaEntity {
  entity_id: string;
  state: string;
  attributes: Record<string, AttributeValue | AttributeList>;
  /** Seconds since the epoch (HA's `lc`). */
  lastChanged: number;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function validId(id: string): boolean {
  try {
    parseAnyEntityId(id);
    return true;
  } catch {
    return false;
  }
}

/** One attribute value, bounded; undefined when it has no place in the model (objects…). */
function attrValue(v: unknown): AttributeValue | AttributeList | undefined {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string') return v.slice(0, MAX_TEXT);
  if (Array.isArray(v)) {
    const out: (string | number)[] = [];
    for (const x of v.slice(0, MAX_LIST)) {
      if (typeof x === 'number' && Number.isFinite(x)) out.push(x);
      else if (typeof x === 'string') out.push(x.slice(0, 40));
      else return undefined; // nested structures are not shown
    }
    return out;
  }
  return undefined;
}

function mergeAttrs(into: HaEntity['attributes'], raw: unknown): void {
  if (!isObj(raw)) return;
  let n = Object.keys(into).length;
  for (const [k, v] of Object.entries(raw)) {
    if (k.length > 64 || k === '__proto__') continue;
    const val = attrValue(v);
    if (val === undefined) {
      delete into[k];
      continue;
    }
    if (!(k in into)) {
      if (n >= MAX_KEYS) continue;
      n++;
    }
    into[k] = val;
  }
}

const stateText = (v: unknown): string | undefined =>
  typeof v === 'string' ? v.slice(0, MAX_STATE) : undefined;
const seconds = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 1e11 ? v : undefined;

/**
 * Applies one `subscribe_entities` event to `store`; returns the ids that changed (added, changed
 * or removed). Malformed parts are skipped; the store never grows past MAX_HA_ENTITIES.
 */
export function applyEntitiesEvent(store: Map<string, HaEntity>, ev: unknown): string[] {
  if (!isObj(ev)) return [];
  const changed: string[] = [];
  if (isObj(ev.a)) {
    for (const [id, raw] of Object.entries(ev.a)) {
      if (!isObj(raw) || !validId(id)) continue;
      if (!store.has(id) && store.size >= MAX_HA_ENTITIES) continue;
      const attributes: HaEntity['attributes'] = Object.create(null) as HaEntity['attributes'];
      mergeAttrs(attributes, raw.a);
      store.set(id, {
        entity_id: id,
        state: stateText(raw.s) ?? 'unknown',
        attributes,
        lastChanged: seconds(raw.lc) ?? seconds(raw.lu) ?? 0,
      });
      changed.push(id);
    }
  }
  if (Array.isArray(ev.r)) {
    for (const id of ev.r.slice(0, MAX_HA_ENTITIES)) {
      if (typeof id === 'string' && store.delete(id)) changed.push(id);
    }
  }
  if (isObj(ev.c)) {
    for (const [id, diff] of Object.entries(ev.c)) {
      const e = store.get(id);
      if (!e || !isObj(diff)) continue;
      const plus = diff['+'];
      const minus = diff['-'];
      if (isObj(plus)) {
        const s = stateText(plus.s);
        if (s !== undefined) e.state = s;
        const lc = seconds(plus.lc);
        if (lc !== undefined) e.lastChanged = lc;
        mergeAttrs(e.attributes, plus.a);
      }
      if (isObj(minus) && Array.isArray(minus.a)) {
        for (const k of minus.a.slice(0, MAX_KEYS))
          if (typeof k === 'string') delete e.attributes[k];
      }
      changed.push(id);
    }
  }
  return changed;
}

/** Areas by id, and where each device and entity sits (from the three registries). */
export interface HaRegistry {
  areas: Map<string, string>;
  deviceArea: Map<string, string>;
  entity: Map<string, { area?: string; device?: string }>;
}

export const emptyRegistry = (): HaRegistry => ({
  areas: new Map(),
  deviceArea: new Map(),
  entity: new Map(),
});

const MAX_REGISTRY = 20_000;
const str = (v: unknown, max = 128): string | undefined =>
  typeof v === 'string' && v.length > 0 ? v.slice(0, max) : undefined;

/** `config/area_registry/list` → area id → name. */
export function parseAreas(raw: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!Array.isArray(raw)) return out;
  for (const a of raw.slice(0, MAX_REGISTRY)) {
    if (!isObj(a)) continue;
    const id = str(a.area_id);
    const name = str(a.name, 64);
    if (id && name) out.set(id, name);
  }
  return out;
}

/** `config/device_registry/list` → device id → area id. */
export function parseDevices(raw: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!Array.isArray(raw)) return out;
  for (const d of raw.slice(0, MAX_REGISTRY)) {
    if (!isObj(d)) continue;
    const id = str(d.id);
    const area = str(d.area_id);
    if (id && area) out.set(id, area);
  }
  return out;
}

/** `config/entity_registry/list` → entity id → its own area and its device. */
export function parseEntityRegistry(raw: unknown): HaRegistry['entity'] {
  const out: HaRegistry['entity'] = new Map();
  if (!Array.isArray(raw)) return out;
  for (const e of raw.slice(0, MAX_REGISTRY)) {
    if (!isObj(e)) continue;
    const id = str(e.entity_id, 300);
    if (!id) continue;
    const area = str(e.area_id);
    const device = str(e.device_id);
    out.set(id, { ...(area ? { area } : {}), ...(device ? { device } : {}) });
  }
  return out;
}

/** The entity's area name: its own area, else its device's; undefined when neither is set. */
export function areaOf(reg: HaRegistry, entityId: string): string | undefined {
  const e = reg.entity.get(entityId);
  if (!e) return undefined;
  const areaId = e.area ?? (e.device ? reg.deviceArea.get(e.device) : undefined);
  return areaId ? (reg.areas.get(areaId) ?? areaId) : undefined;
}

/** The attributes the app draws as lists (wire v2); everything else list-valued is left out. */
const LIST_ATTRS = [
  'rgb_color',
  'hs_color',
  'supported_color_modes',
  'hvac_modes',
  'preset_modes',
  'fan_modes',
  'preset_mode',
];

/** An HA entity in Porthole's model. A light's colour temperature is in kelvin
 *  (`color_temp_kelvin`); `color_temp` in mireds is derived for older clients when HA sends none. */
export function toEntityState(e: HaEntity, area: string | undefined, stale: boolean): EntityState {
  const attributes: Record<string, AttributeValue> = {};
  const lists: Record<string, AttributeList> = {};
  for (const [k, v] of Object.entries(e.attributes)) {
    if (Array.isArray(v)) {
      if (LIST_ATTRS.includes(k)) lists[k] = v as AttributeList;
    } else attributes[k] = v as AttributeValue;
  }
  const kelvin = attributes.color_temp_kelvin;
  if (typeof kelvin === 'number' && kelvin > 0 && attributes.color_temp === undefined)
    attributes.color_temp = Math.round(1e6 / kelvin);
  const out: EntityState = {
    entity_id: e.entity_id,
    state: e.state,
    attributes,
    last_changed: e.lastChanged > 0 ? new Date(e.lastChanged * 1000).toISOString() : '',
  };
  if (area !== undefined) out.area = area;
  if (stale) out.stale = true;
  if (Object.keys(lists).length > 0) out.lists = lists;
  return out;
}

/** What Porthole can do to each HA domain; every other domain is listed read-only. */
export const HA_SERVICES: Record<string, readonly Command['service'][]> = {
  light: ['turn_on', 'turn_off', 'toggle'],
  switch: ['turn_on', 'turn_off', 'toggle'],
  fan: ['turn_on', 'turn_off', 'toggle', 'set_percentage'],
  climate: ['set_temperature', 'set_hvac_mode', 'turn_on', 'turn_off'],
  cover: ['open', 'close', 'stop', 'toggle', 'set_position'],
  lock: ['lock', 'unlock'],
};

/** One HA `call_service`: domain, service, data; the target is always {entity_id}. */
export interface HaServiceCall {
  domain: string;
  service: string;
  data: Record<string, unknown>;
}

/** A Porthole command for `entityId` → the one HA service call that carries it out. */
export function toServiceCall(entityId: string, cmd: Command): HaServiceCall {
  const { domain } = parseAnyEntityId(entityId);
  const ok = (Object.hasOwn(HA_SERVICES, domain) ? HA_SERVICES[domain] : undefined) ?? [];
  if (!ok.includes(cmd.service)) {
    throw new DeviceError(
      ok.length === 0
        ? `${entityId} is read-only`
        : `${entityId} does not support ${cmd.service} (it supports ${ok.join(', ')})`,
    );
  }
  const call = (service: string, data: Record<string, unknown> = {}): HaServiceCall => ({
    domain,
    service,
    data,
  });
  switch (cmd.service) {
    case 'turn_on': {
      const data: Record<string, unknown> = {};
      if (domain === 'light') {
        if (cmd.brightness !== undefined) data.brightness = cmd.brightness;
        // HA removed mireds (color_temp) in 2026.3: always send kelvin.
        if (cmd.color_temp_kelvin !== undefined) data.color_temp_kelvin = cmd.color_temp_kelvin;
        else if (cmd.color_temp !== undefined)
          data.color_temp_kelvin = Math.round(1e6 / cmd.color_temp);
        if (cmd.rgb_color !== undefined) data.rgb_color = cmd.rgb_color;
      }
      if (domain === 'fan' && cmd.percentage !== undefined) data.percentage = cmd.percentage;
      return call('turn_on', data);
    }
    case 'turn_off':
    case 'toggle':
    case 'lock':
    case 'unlock':
      return call(cmd.service);
    case 'open':
      return call('open_cover');
    case 'close':
      return call('close_cover');
    case 'stop':
      return call('stop_cover');
    case 'set_position':
      return call('set_cover_position', { position: cmd.position });
    case 'set_temperature':
      return call('set_temperature', { temperature: cmd.temperature });
    case 'set_hvac_mode':
      return call('set_hvac_mode', { hvac_mode: cmd.hvac_mode });
    case 'set_percentage':
      return call('set_percentage', { percentage: cmd.percentage });
  }
}

/** States in which HA accepts a call for the entity but does nothing (and reports success). */
export const UNAVAILABLE = ['unavailable'];
