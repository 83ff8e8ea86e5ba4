// Home Assistant MQTT discovery: `homeassistant/<component>/[<node_id>/]<object_id>/config`
// announces an entity with its topics and payloads (full or abbreviated keys, `~` as the base
// topic). This file turns such a config into a route for the bridge: which topics carry what,
// and what to publish for each command. Unknown shapes give undefined, never an exception.
import { DOMAINS, type Command, type Domain, type EntityState } from './model.js';
import type { Json } from './mqtt-z2m.js';

/** What one subscribed topic carries: the state, or one numeric attribute. */
export type TopicRole = 'state' | 'current_temperature' | 'temperature';

export interface HaRoute {
  kind: 'ha';
  domain: Domain;
  topics: Array<{ topic: string; role: TopicRole; jsonKey?: string }>;
  /** Topic and payload to publish per command (absent: the entity cannot do it). */
  send: Partial<Record<Command['service'], { topic: string; payload: string }>>;
  /** An incoming state payload → the Home Assistant state. */
  receive: Record<string, string>;
}

export interface Discovered {
  entityId: string;
  name: string;
  route: HaRoute;
  attributes: EntityState['attributes'];
}

const ABBREVIATIONS: Record<string, string> = {
  stat_t: 'state_topic',
  cmd_t: 'command_topic',
  pl_on: 'payload_on',
  pl_off: 'payload_off',
  stat_on: 'state_on',
  stat_off: 'state_off',
  pl_lock: 'payload_lock',
  pl_unlk: 'payload_unlock',
  stat_locked: 'state_locked',
  stat_unlocked: 'state_unlocked',
  pl_open: 'payload_open',
  pl_cls: 'payload_close',
  stat_open: 'state_open',
  stat_clsd: 'state_closed',
  stat_opening: 'state_opening',
  stat_closing: 'state_closing',
  temp_cmd_t: 'temperature_command_topic',
  temp_stat_t: 'temperature_state_topic',
  curr_temp_t: 'current_temperature_topic',
  mode_cmd_t: 'mode_command_topic',
  mode_stat_t: 'mode_state_topic',
  unit_of_meas: 'unit_of_measurement',
  dev_cla: 'device_class',
  val_tpl: 'value_template',
  obj_id: 'object_id',
};

export const slug = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '')
    .slice(0, 64) || 'device';

/** Expanded keys, `~` replaced in topics; only short strings survive. */
function normalise(raw: Json): Record<string, string> {
  const out: Record<string, string> = {};
  const base = typeof raw['~'] === 'string' ? raw['~'] : undefined;
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string' || v.length > 256) continue;
    // Own keys only: a config key such as `constructor` is not an abbreviation (fuzz target mqtt).
    const key = Object.hasOwn(ABBREVIATIONS, k) ? (ABBREVIATIONS[k] as string) : k;
    out[key] = base && key.endsWith('_topic') ? v.replace(/^~/, base).replace(/~$/, base) : v;
  }
  return out;
}

/** The one template shape worth understanding without Jinja: `{{ value_json.key }}`. */
const jsonKeyOf = (template: string | undefined): string | undefined =>
  template ? /^\{\{\s*value_json\.([A-Za-z0-9_]+)\s*\}\}$/.exec(template)?.[1] : undefined;

export function parseDiscovery(topic: string, raw: unknown): Discovered | undefined {
  const parts = topic.split('/');
  const component = parts[1] as Domain;
  if (!DOMAINS.includes(component) || parts.length < 4) return undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const c = normalise(raw as Json);
  const objectId = c.object_id ?? parts.at(-2) ?? 'device';
  const jsonKey = jsonKeyOf(c.value_template);
  const route: HaRoute = { kind: 'ha', domain: component, topics: [], send: {}, receive: {} };
  const listen = (t: string | undefined, role: TopicRole, key?: string): void => {
    if (t) route.topics.push({ topic: t, role, ...(key ? { jsonKey: key } : {}) });
  };
  const cmd = c.command_topic;
  const on = c.payload_on ?? 'ON';
  const off = c.payload_off ?? 'OFF';
  switch (component) {
    case 'light':
    case 'switch':
    case 'binary_sensor':
      if (cmd) {
        route.send.turn_on = { topic: cmd, payload: on };
        route.send.turn_off = { topic: cmd, payload: off };
      }
      route.receive[c.state_on ?? on] = 'on';
      route.receive[c.state_off ?? off] = 'off';
      break;
    case 'lock':
      if (cmd) {
        route.send.lock = { topic: cmd, payload: c.payload_lock ?? 'LOCK' };
        route.send.unlock = { topic: cmd, payload: c.payload_unlock ?? 'UNLOCK' };
      }
      route.receive[c.state_locked ?? 'LOCKED'] = 'locked';
      route.receive[c.state_unlocked ?? 'UNLOCKED'] = 'unlocked';
      break;
    case 'cover':
      if (cmd) {
        route.send.open = { topic: cmd, payload: c.payload_open ?? 'OPEN' };
        route.send.close = { topic: cmd, payload: c.payload_close ?? 'CLOSE' };
      }
      route.receive[c.state_open ?? 'open'] = 'open';
      route.receive[c.state_closed ?? 'closed'] = 'closed';
      route.receive[c.state_opening ?? 'opening'] = 'opening';
      route.receive[c.state_closing ?? 'closing'] = 'closing';
      break;
    case 'climate':
      if (c.temperature_command_topic)
        route.send.set_temperature = { topic: c.temperature_command_topic, payload: '' };
      if (c.mode_command_topic) {
        route.send.turn_on = { topic: c.mode_command_topic, payload: 'heat' };
        route.send.turn_off = { topic: c.mode_command_topic, payload: 'off' };
      }
      listen(c.mode_state_topic, 'state');
      listen(c.current_temperature_topic, 'current_temperature');
      listen(c.temperature_state_topic, 'temperature');
      break;
    case 'sensor':
      break;
  }
  if (component !== 'climate') listen(c.state_topic, 'state', jsonKey);
  const attributes: EntityState['attributes'] = {};
  if (c.unit_of_measurement) attributes.unit_of_measurement = c.unit_of_measurement;
  if (c.device_class) attributes.device_class = c.device_class;
  return {
    entityId: `${component}.${slug(objectId)}`,
    name: c.name ?? objectId,
    route,
    attributes,
  };
}

/** A payload on one of the route's topics → the state/attributes it reports (or undefined). */
export function haUpdate(
  route: HaRoute,
  role: TopicRole,
  jsonKey: string | undefined,
  payload: Buffer,
): Partial<Pick<EntityState, 'state' | 'attributes'>> | undefined {
  let text = payload.toString('utf8', 0, Math.min(payload.length, 256)).trim();
  if (jsonKey || text.startsWith('{')) {
    try {
      const j = JSON.parse(text) as Json;
      const v = j[jsonKey ?? 'state'];
      if (typeof v !== 'string' && typeof v !== 'number') return undefined;
      text = String(v);
    } catch {
      return undefined;
    }
  }
  if (role !== 'state') {
    const n = Number(text);
    return Number.isFinite(n) && text !== '' ? { attributes: { [role]: n } } : undefined;
  }
  const known = Object.hasOwn(route.receive, text) ? route.receive[text] : undefined;
  return { state: known ?? text.toLowerCase().slice(0, 64) };
}

/** What to publish for a command, or undefined when the entity cannot do it. */
export function haCommand(
  route: HaRoute,
  cmd: Command,
  current: EntityState,
): { topic: string; payload: string } | undefined {
  if (cmd.service === 'set_temperature') {
    const t = route.send.set_temperature;
    return t && { topic: t.topic, payload: String(cmd.temperature) };
  }
  if (cmd.service === 'toggle') {
    const next: Command['service'] =
      route.domain === 'cover'
        ? current.state === 'open'
          ? 'close'
          : 'open'
        : current.state === 'on'
          ? 'turn_off'
          : 'turn_on';
    return route.send[next];
  }
  return route.send[cmd.service];
}
