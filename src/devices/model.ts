// The device model, after Home Assistant's conventions: entity ids "domain.object_id", a state
// string plus attributes, and services (commands) per domain. Everything that comes from the
// network or the command line is parsed here into typed values, with errors that say what is
// allowed.

export const DOMAINS = [
  'light',
  'switch',
  'sensor',
  'binary_sensor',
  'climate',
  'lock',
  'cover',
] as const;
export type Domain = (typeof DOMAINS)[number];

export type AttributeValue = string | number | boolean | null;
/** Wire v2 (see rpc-wire.ts) also carries short lists: rgb_color, hvac_modes, supported modes. */
export type AttributeList = readonly (string | number)[];
export type AnyAttribute = AttributeValue | AttributeList;

export interface EntityState {
  entity_id: string;
  state: string;
  attributes: Record<string, AttributeValue>;
  /** ISO time of the last state change. */
  last_changed: string;
  /** Wire v2 only (older clients never receive these): the room the app groups it under. */
  area?: string;
  /** Wire v2 only: the source is disconnected and this is the last state it reported. */
  stale?: true;
  /** Wire v2 only: list-valued attributes (wire v1 carries scalar attributes only). */
  lists?: Record<string, AttributeList>;
}

export type Command =
  | {
      service: 'turn_on';
      brightness?: number;
      /** Mireds (wire v1); a Home Assistant source converts it to kelvin. */
      color_temp?: number;
      color_temp_kelvin?: number;
      rgb_color?: [number, number, number];
      /** Fans: speed in percent. */
      percentage?: number;
    }
  | { service: 'turn_off' }
  | { service: 'toggle' }
  | { service: 'set_temperature'; temperature: number }
  | { service: 'lock' }
  | { service: 'unlock' }
  | { service: 'open' }
  | { service: 'close' }
  // Wire v2 only (sources that do not know them refuse them as unsupported):
  | { service: 'stop' }
  | { service: 'set_position'; position: number }
  | { service: 'set_hvac_mode'; hvac_mode: string }
  | { service: 'set_percentage'; percentage: number };

export class DeviceError extends Error {
  override name = 'DeviceError';
}

const ENTITY_ID = /^([a-z_]+)\.([a-z0-9_]{1,64})$/;

export function parseEntityId(text: string): { domain: Domain; objectId: string } {
  const m = ENTITY_ID.exec(text);
  const domain = m?.[1] as Domain | undefined;
  if (!m || !domain || !DOMAINS.includes(domain)) {
    throw new DeviceError(
      `"${text.slice(0, 80)}" is not an entity id like light.kitchen (domains: ${DOMAINS.join(', ')})`,
    );
  }
  return { domain, objectId: m[2] as string };
}

/** Any Home Assistant entity id (wire v2): domains beyond the 7 above are listed read-only. */
const ANY_ENTITY_ID = /^([a-z][a-z0-9_]{0,63})\.([a-z0-9_]{1,200})$/;

export function parseAnyEntityId(text: string): { domain: string; objectId: string } {
  const m = ANY_ENTITY_ID.exec(text);
  if (!m) {
    throw new DeviceError(`"${text.slice(0, 80)}" is not an entity id like light.kitchen`);
  }
  return { domain: m[1] as string, objectId: m[2] as string };
}

/** Whether a wire-v1 (older) client can decode this entity id. */
export function isV1EntityId(text: string): boolean {
  const m = ENTITY_ID.exec(text);
  return m !== null && DOMAINS.includes(m[1] as Domain);
}

/** Which services each domain accepts. */
const SERVICES: Record<Domain, readonly Command['service'][]> = {
  light: ['turn_on', 'turn_off', 'toggle'],
  switch: ['turn_on', 'turn_off', 'toggle'],
  sensor: [],
  binary_sensor: [],
  climate: ['set_temperature', 'turn_on', 'turn_off'],
  lock: ['lock', 'unlock'],
  cover: ['open', 'close', 'toggle'],
};

export function checkSupported(entityId: string, cmd: Command): void {
  const { domain } = parseEntityId(entityId);
  if (!SERVICES[domain].includes(cmd.service)) {
    const ok = SERVICES[domain];
    throw new DeviceError(
      ok.length === 0
        ? `${entityId} is read-only`
        : `${entityId} does not support ${cmd.service} (it supports ${ok.join(', ')})`,
    );
  }
}

function num(v: unknown, name: string, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) {
    throw new DeviceError(`${name} must be a number from ${lo} to ${hi}`);
  }
  return v;
}

/** Untrusted JSON (from the network) → a typed command. */
export function parseCommand(raw: unknown): Command {
  if (typeof raw !== 'object' || raw === null) throw new DeviceError('command must be an object');
  const r = raw as Record<string, unknown>;
  switch (r.service) {
    case 'turn_on': {
      const c: Command = { service: 'turn_on' };
      if (r.brightness !== undefined)
        c.brightness = Math.round(num(r.brightness, 'brightness', 0, 255));
      if (r.color_temp !== undefined)
        c.color_temp = Math.round(num(r.color_temp, 'color_temp', 150, 500));
      if (r.color_temp_kelvin !== undefined)
        c.color_temp_kelvin = Math.round(
          num(r.color_temp_kelvin, 'color_temp_kelvin', 1000, 20000),
        );
      if (r.rgb_color !== undefined) {
        if (!Array.isArray(r.rgb_color) || r.rgb_color.length !== 3)
          throw new DeviceError('rgb_color must be [r, g, b]');
        const [red, green, blue] = r.rgb_color.map((x) => Math.round(num(x, 'rgb_color', 0, 255)));
        c.rgb_color = [red as number, green as number, blue as number];
      }
      if (r.percentage !== undefined)
        c.percentage = Math.round(num(r.percentage, 'percentage', 0, 100));
      return c;
    }
    case 'set_temperature':
      return { service: 'set_temperature', temperature: num(r.temperature, 'temperature', 5, 35) };
    case 'set_position':
      return { service: 'set_position', position: Math.round(num(r.position, 'position', 0, 100)) };
    case 'set_percentage':
      return {
        service: 'set_percentage',
        percentage: Math.round(num(r.percentage, 'percentage', 0, 100)),
      };
    case 'set_hvac_mode': {
      const modes = ['off', 'heat', 'cool', 'heat_cool', 'auto', 'dry', 'fan_only'];
      if (typeof r.hvac_mode !== 'string' || !modes.includes(r.hvac_mode))
        throw new DeviceError(`hvac_mode must be one of ${modes.join(', ')}`);
      return { service: 'set_hvac_mode', hvac_mode: r.hvac_mode };
    }
    case 'stop':
    case 'turn_off':
    case 'toggle':
    case 'lock':
    case 'unlock':
    case 'open':
    case 'close':
      return { service: r.service };
    default:
      throw new DeviceError(`unknown service ${JSON.stringify(r.service)}`);
  }
}

/** The CLI's short forms: on|off|toggle|brightness=N|temperature=N|lock|unlock|open|close, and
 *  (wire v2) kelvin=N, rgb=R,G,B, position=N, percentage=N, hvac=MODE, stop. */
export function parseSetArg(arg: string): Command {
  const kv =
    /^(brightness|temperature|color_temp|kelvin|position|percentage)=(-?\d+(\.\d+)?)$/.exec(arg);
  if (kv) {
    const n = Number(kv[2]);
    if (kv[1] === 'temperature')
      return parseCommand({ service: 'set_temperature', temperature: n });
    if (kv[1] === 'position') return parseCommand({ service: 'set_position', position: n });
    if (kv[1] === 'percentage') return parseCommand({ service: 'set_percentage', percentage: n });
    if (kv[1] === 'kelvin') return parseCommand({ service: 'turn_on', color_temp_kelvin: n });
    return parseCommand({ service: 'turn_on', [kv[1] as string]: n });
  }
  const rgb = /^rgb=(\d{1,3}),(\d{1,3}),(\d{1,3})$/.exec(arg);
  if (rgb) return parseCommand({ service: 'turn_on', rgb_color: rgb.slice(1, 4).map(Number) });
  const hvac = /^hvac=([a-z_]+)$/.exec(arg);
  if (hvac) return parseCommand({ service: 'set_hvac_mode', hvac_mode: hvac[1] });
  const simple: Record<string, Command> = {
    on: { service: 'turn_on' },
    off: { service: 'turn_off' },
    toggle: { service: 'toggle' },
    lock: { service: 'lock' },
    unlock: { service: 'unlock' },
    open: { service: 'open' },
    close: { service: 'close' },
    stop: { service: 'stop' },
  };
  const c = simple[arg];
  if (!c) {
    throw new DeviceError(
      `"${arg}" is not a command: use on|off|toggle|brightness=N|temperature=N|lock|unlock|open|` +
        'close|stop|kelvin=N|rgb=R,G,B|position=N|percentage=N|hvac=MODE',
    );
  }
  return c;
}

/** Untrusted JSON → entity state (for states arriving over RPC or MQTT). */
export function parseEntityState(raw: unknown): EntityState {
  if (typeof raw !== 'object' || raw === null) throw new DeviceError('state must be an object');
  const r = raw as Record<string, unknown>;
  if (typeof r.entity_id !== 'string') throw new DeviceError('state without entity_id');
  parseEntityId(r.entity_id);
  if (typeof r.state !== 'string' || r.state.length > 64) throw new DeviceError('bad state value');
  const attributes: Record<string, AttributeValue> = {};
  if (typeof r.attributes === 'object' && r.attributes !== null) {
    for (const [k, v] of Object.entries(r.attributes as Record<string, unknown>).slice(0, 32)) {
      if (v === null || ['string', 'number', 'boolean'].includes(typeof v))
        attributes[k] = v as AttributeValue;
    }
  }
  return {
    entity_id: r.entity_id,
    state: r.state,
    attributes,
    last_changed: typeof r.last_changed === 'string' ? r.last_changed.slice(0, 40) : '',
  };
}

const MAX_LIST = 16;

/** Untrusted JSON → entity state, wire v2: any domain, an area, a stale mark, short lists. A
 *  superset of parseEntityState (a v1 state parses the same). */
export function parseEntityStateV2(raw: unknown): EntityState {
  if (typeof raw !== 'object' || raw === null) throw new DeviceError('state must be an object');
  const r = raw as Record<string, unknown>;
  if (typeof r.entity_id !== 'string') throw new DeviceError('state without entity_id');
  parseAnyEntityId(r.entity_id);
  const base = parseEntityState({ ...r, entity_id: 'sensor.x' });
  const out: EntityState = { ...base, entity_id: r.entity_id };
  if (typeof r.area === 'string') out.area = r.area.slice(0, 64);
  if (r.stale === true) out.stale = true;
  if (typeof r.lists === 'object' && r.lists !== null && !Array.isArray(r.lists)) {
    const lists: Record<string, AttributeList> = {};
    for (const [k, v] of Object.entries(r.lists as Record<string, unknown>).slice(0, 8)) {
      if (!Array.isArray(v)) continue;
      lists[k] = v
        .slice(0, MAX_LIST)
        .filter((x): x is string | number => typeof x === 'string' || typeof x === 'number')
        .map((x) => (typeof x === 'string' ? x.slice(0, 40) : x));
    }
    out.lists = lists;
  }
  return out;
}

/** Whether a source can serve its states as current. */
export interface SourceHealth {
  live: boolean;
  /** Why not (or the last problem), for the log, `home status` and the client. */
  error?: string;
  /** ISO time the state last changed. */
  since: string;
}

/** Every place devices come from: the simulated house, an MQTT bridge, Home Assistant. */
export interface DeviceSource {
  list(): EntityState[];
  get(entityId: string): EntityState | undefined;
  /** Carries out a command; resolves with the new state, rejects with a DeviceError. */
  execute(entityId: string, cmd: Command): Promise<EntityState>;
  /** Calls `cb` on every state change; returns the unsubscribe function. */
  subscribe(cb: (s: EntityState) => void): () => void;
  close(): void;
  /** Sources that can lose their upstream (Home Assistant) say whether states are current. */
  health?(): SourceHealth;
  /** Calls `cb` when health() changes; returns the unsubscribe function. */
  onHealth?(cb: (h: SourceHealth) => void): () => void;
  /** Sources whose entities the owner exposes per client (`home expose`): Home Assistant. */
  readonly exposable?: boolean;
}
