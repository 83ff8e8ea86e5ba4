// Devices from an MQTT broker, as smart-home users already run them:
//  - Zigbee2MQTT: `zigbee2mqtt/bridge/devices` (the device list), `zigbee2mqtt/<name>` (state JSON),
//    commands published to `zigbee2mqtt/<name>/set`;
//  - Home Assistant MQTT discovery: `homeassistant/<component>/[<node>/]<object>/config`, whose
//    state_topic / command_topic carry the entity.
// Everything received is parsed defensively: unknown shapes are skipped, never thrown.
import { connectAsync, type MqttClient } from 'mqtt';
import {
  checkSupported,
  DeviceError,
  DOMAINS,
  type Command,
  type DeviceSource,
  type Domain,
  type EntityState,
} from './model.js';

const Z2M = 'zigbee2mqtt';
const HA = 'homeassistant';
const CONFIRM_MS = 3000;
const MAX_ENTITIES = 1000;
const MAX_PAYLOAD = 64 * 1024;

type Json = Record<string, unknown>;
type Route =
  | { kind: 'z2m'; name: string; domain: Domain }
  | {
      kind: 'ha';
      domain: Domain;
      stateTopic?: string;
      commandTopic?: string;
      on: string;
      off: string;
    };

interface Entity {
  state: EntityState;
  route: Route;
}

const slug = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '')
    .slice(0, 64) || 'device';

function parseJson(payload: Buffer): unknown {
  if (payload.length > MAX_PAYLOAD) return undefined;
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The Home Assistant domain a Zigbee2MQTT device exposes itself as. */
function z2mDomain(device: Json): Domain | undefined {
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

/** Zigbee2MQTT state JSON → Home Assistant-style state and attributes. */
function z2mState(domain: Domain, j: Json): Pick<EntityState, 'state' | 'attributes'> {
  const attrs: EntityState['attributes'] = {};
  for (const k of [
    'brightness',
    'color_temp',
    'position',
    'local_temperature',
    'current_heating_setpoint',
    'temperature',
    'humidity',
    'battery',
    'linkquality',
  ]) {
    if (typeof j[k] === 'number') attrs[k] = j[k];
  }
  const s = typeof j.state === 'string' ? j.state.toUpperCase() : '';
  switch (domain) {
    case 'light':
    case 'switch':
      return { state: s === 'ON' ? 'on' : s === 'OFF' ? 'off' : 'unknown', attributes: attrs };
    case 'lock':
      return {
        state:
          s === 'LOCK' || s === 'LOCKED'
            ? 'locked'
            : s === 'UNLOCK' || s === 'UNLOCKED'
              ? 'unlocked'
              : 'unknown',
        attributes: attrs,
      };
    case 'cover':
      return {
        state: s === 'OPEN' ? 'open' : s === 'CLOSE' || s === 'CLOSED' ? 'closed' : 'unknown',
        attributes: attrs,
      };
    case 'climate':
      if (typeof j.current_heating_setpoint === 'number')
        attrs.temperature = j.current_heating_setpoint;
      if (typeof j.local_temperature === 'number') attrs.current_temperature = j.local_temperature;
      return {
        state: typeof j.system_mode === 'string' ? j.system_mode : 'heat',
        attributes: attrs,
      };
    case 'sensor':
      return {
        state: typeof j.temperature === 'number' ? String(j.temperature) : 'unknown',
        attributes: { ...attrs, unit_of_measurement: '°C' },
      };
    case 'binary_sensor':
      // A door contact reports contact=true when closed; Home Assistant's state is "on" when open.
      return {
        state: j.contact === false || j.occupancy === true ? 'on' : 'off',
        attributes: attrs,
      };
  }
}

/** A command → the Zigbee2MQTT /set payload. */
function z2mSet(cmd: Command, current: EntityState): Json {
  switch (cmd.service) {
    case 'turn_on':
      return {
        state: 'ON',
        ...(cmd.brightness !== undefined ? { brightness: cmd.brightness } : {}),
        ...(cmd.color_temp !== undefined ? { color_temp: cmd.color_temp } : {}),
      };
    case 'turn_off':
      return { state: 'OFF' };
    case 'toggle':
      if (current.entity_id.startsWith('cover.'))
        return { state: current.state === 'open' ? 'CLOSE' : 'OPEN' };
      return { state: current.state === 'on' ? 'OFF' : 'ON' };
    case 'set_temperature':
      return { current_heating_setpoint: cmd.temperature };
    case 'lock':
      return { state: 'LOCK' };
    case 'unlock':
      return { state: 'UNLOCK' };
    case 'open':
      return { state: 'OPEN' };
    case 'close':
      return { state: 'CLOSE' };
  }
}

class MqttBridge implements DeviceSource {
  private readonly entities = new Map<string, Entity>();
  private readonly byZ2mName = new Map<string, string>();
  private readonly byStateTopic = new Map<string, string>();
  private readonly subs = new Set<(s: EntityState) => void>();
  private readonly waiters = new Map<string, Array<(s: EntityState) => void>>();

  constructor(private readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      try {
        this.onMessage(topic, payload);
      } catch {
        // a malformed message from the broker is skipped, never fatal
      }
    });
  }

  async start(): Promise<void> {
    await this.client.subscribeAsync([`${Z2M}/#`, `${HA}/+/+/config`, `${HA}/+/+/+/config`]);
  }

  private put(
    entityId: string,
    route: Route,
    partial: Pick<EntityState, 'state' | 'attributes'>,
    name?: string,
  ): void {
    const prev = this.entities.get(entityId);
    if (!prev && this.entities.size >= MAX_ENTITIES) return;
    const state: EntityState = {
      entity_id: entityId,
      state: partial.state,
      attributes: {
        ...(prev?.state.attributes ?? {}),
        ...(name ? { friendly_name: name } : {}),
        ...partial.attributes,
      },
      last_changed:
        prev && prev.state.state === partial.state
          ? prev.state.last_changed
          : new Date().toISOString(),
    };
    this.entities.set(entityId, { state, route });
    if (
      !prev ||
      prev.state.state !== state.state ||
      JSON.stringify(prev.state.attributes) !== JSON.stringify(state.attributes)
    ) {
      for (const cb of this.subs) cb(structuredClone(state));
      for (const w of this.waiters.get(entityId)?.splice(0) ?? []) w(structuredClone(state));
    }
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (topic === `${Z2M}/bridge/devices`) {
      const list = parseJson(payload);
      if (!Array.isArray(list)) return;
      for (const d of list as Json[]) {
        if (typeof d?.friendly_name !== 'string' || d.type === 'Coordinator') continue;
        const domain = z2mDomain(d);
        if (!domain) continue;
        const id = `${domain}.${slug(d.friendly_name)}`;
        this.byZ2mName.set(d.friendly_name, id);
        if (!this.entities.has(id))
          this.put(
            id,
            { kind: 'z2m', name: d.friendly_name, domain },
            { state: 'unknown', attributes: {} },
            d.friendly_name,
          );
      }
      return;
    }
    if (topic.startsWith(`${Z2M}/`)) {
      const name = topic.slice(Z2M.length + 1);
      if (name.startsWith('bridge/') || name.endsWith('/set') || name.endsWith('/get')) return;
      const id = this.byZ2mName.get(name);
      const j = parseJson(payload);
      if (!id || typeof j !== 'object' || j === null) return;
      const e = this.entities.get(id) as Entity;
      this.put(id, e.route, z2mState(e.route.domain, j as Json));
      return;
    }
    if (topic.startsWith(`${HA}/`) && topic.endsWith('/config'))
      return this.onDiscovery(topic, payload);
    const id = this.byStateTopic.get(topic);
    if (id) this.onHaState(id, payload);
  }

  private onDiscovery(topic: string, payload: Buffer): void {
    const parts = topic.split('/');
    const component = parts[1] as Domain;
    const objectId = parts[parts.length - 2] as string;
    if (!DOMAINS.includes(component)) return;
    const c = parseJson(payload) as Json | undefined;
    if (!c || typeof c !== 'object') return;
    const stateTopic = typeof c.state_topic === 'string' ? c.state_topic : undefined;
    // Zigbee2MQTT announces its devices here too; they are already bridged from its own topics.
    if (stateTopic?.startsWith(`${Z2M}/`)) return;
    const id = `${component}.${slug(objectId)}`;
    const route: Route = {
      kind: 'ha',
      domain: component,
      ...(stateTopic ? { stateTopic } : {}),
      ...(typeof c.command_topic === 'string' ? { commandTopic: c.command_topic } : {}),
      on: typeof c.payload_on === 'string' ? c.payload_on : 'ON',
      off: typeof c.payload_off === 'string' ? c.payload_off : 'OFF',
    };
    const attrs: EntityState['attributes'] = {};
    if (typeof c.unit_of_measurement === 'string')
      attrs.unit_of_measurement = c.unit_of_measurement;
    if (typeof c.device_class === 'string') attrs.device_class = c.device_class;
    this.put(
      id,
      route,
      { state: this.entities.get(id)?.state.state ?? 'unknown', attributes: attrs },
      typeof c.name === 'string' ? c.name : objectId,
    );
    if (stateTopic && !this.byStateTopic.has(stateTopic)) {
      this.byStateTopic.set(stateTopic, id);
      void this.client.subscribeAsync(stateTopic).catch(() => {});
    }
  }

  private onHaState(id: string, payload: Buffer): void {
    const e = this.entities.get(id);
    if (!e || e.route.kind !== 'ha') return;
    const raw = payload.toString('utf8').slice(0, 64);
    const j = parseJson(payload) as Json | undefined;
    const v = j && typeof j === 'object' && typeof j.state === 'string' ? j.state : raw;
    const r = e.route;
    const state =
      v === r.on
        ? 'on'
        : v === r.off
          ? 'off'
          : v === 'LOCKED'
            ? 'locked'
            : v === 'UNLOCKED'
              ? 'unlocked'
              : v.toLowerCase();
    this.put(id, r, { state, attributes: {} });
  }

  list(): EntityState[] {
    return [...this.entities.values()].map((e) => structuredClone(e.state));
  }

  get(entityId: string): EntityState | undefined {
    const e = this.entities.get(entityId);
    return e && structuredClone(e.state);
  }

  subscribe(cb: (s: EntityState) => void): () => void {
    this.subs.add(cb);
    return () => this.subs.delete(cb);
  }

  async execute(entityId: string, cmd: Command): Promise<EntityState> {
    const e = this.entities.get(entityId);
    if (!e) throw new DeviceError(`no such entity: ${entityId}`);
    checkSupported(entityId, cmd);
    const changed = new Promise<EntityState>((resolve) => {
      const list = this.waiters.get(entityId) ?? [];
      list.push(resolve);
      this.waiters.set(entityId, list);
      setTimeout(
        () => resolve(structuredClone(this.entities.get(entityId)?.state ?? e.state)),
        CONFIRM_MS,
      );
    });
    if (e.route.kind === 'z2m') {
      await this.client.publishAsync(
        `${Z2M}/${e.route.name}/set`,
        JSON.stringify(z2mSet(cmd, e.state)),
      );
    } else {
      if (!e.route.commandTopic) throw new DeviceError(`${entityId} is read-only`);
      const r = e.route;
      const payload: Record<string, string> = {
        turn_on: r.on,
        turn_off: r.off,
        toggle: e.state.state === 'on' ? r.off : r.on,
        lock: 'LOCK',
        unlock: 'UNLOCK',
        open: 'OPEN',
        close: 'CLOSE',
        set_temperature: cmd.service === 'set_temperature' ? String(cmd.temperature) : '',
      };
      await this.client.publishAsync(r.commandTopic as string, payload[cmd.service] as string);
    }
    // The device's own state report confirms the command (or, after 3 s, the last known state).
    return changed;
  }

  close(): void {
    this.subs.clear();
    void this.client.endAsync().catch(() => {});
  }
}

export async function openMqttBridge(url: string, connectTimeoutMs = 5000): Promise<DeviceSource> {
  let client: MqttClient;
  try {
    client = await connectAsync(
      url,
      {
        connectTimeout: connectTimeoutMs,
        reconnectPeriod: 2000,
        clientId: `porthole-${process.pid}-${Date.now() % 100000}`,
      },
      false,
    );
  } catch (e) {
    throw new DeviceError(`cannot connect to the MQTT broker at ${url}: ${(e as Error).message}`);
  }
  const bridge = new MqttBridge(client);
  await bridge.start();
  return bridge;
}
