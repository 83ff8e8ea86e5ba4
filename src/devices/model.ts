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

export interface EntityState {
  entity_id: string;
  state: string;
  attributes: Record<string, AttributeValue>;
  /** ISO time of the last state change. */
  last_changed: string;
}

export type Command =
  | { service: 'turn_on'; brightness?: number; color_temp?: number }
  | { service: 'turn_off' }
  | { service: 'toggle' }
  | { service: 'set_temperature'; temperature: number }
  | { service: 'lock' }
  | { service: 'unlock' }
  | { service: 'open' }
  | { service: 'close' };

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
      return c;
    }
    case 'set_temperature':
      return { service: 'set_temperature', temperature: num(r.temperature, 'temperature', 5, 35) };
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

/** The CLI's short forms: on|off|toggle|brightness=N|temperature=N|lock|unlock|open|close. */
export function parseSetArg(arg: string): Command {
  const kv = /^(brightness|temperature|color_temp)=(-?\d+(\.\d+)?)$/.exec(arg);
  if (kv) {
    const n = Number(kv[2]);
    if (kv[1] === 'temperature')
      return parseCommand({ service: 'set_temperature', temperature: n });
    return parseCommand({ service: 'turn_on', [kv[1] as string]: n });
  }
  const simple: Record<string, Command> = {
    on: { service: 'turn_on' },
    off: { service: 'turn_off' },
    toggle: { service: 'toggle' },
    lock: { service: 'lock' },
    unlock: { service: 'unlock' },
    open: { service: 'open' },
    close: { service: 'close' },
  };
  const c = simple[arg];
  if (!c) {
    throw new DeviceError(
      `"${arg}" is not a command: use on|off|toggle|brightness=N|temperature=N|lock|unlock|open|close`,
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

/** Every place devices come from: the simulated house, an MQTT bridge. */
export interface DeviceSource {
  list(): EntityState[];
  get(entityId: string): EntityState | undefined;
  /** Carries out a command; resolves with the new state, rejects with a DeviceError. */
  execute(entityId: string, cmd: Command): Promise<EntityState>;
  /** Calls `cb` on every state change; returns the unsubscribe function. */
  subscribe(cb: (s: EntityState) => void): () => void;
  close(): void;
}
