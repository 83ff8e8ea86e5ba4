// Devices from an MQTT broker, as smart-home users already run them:
//  - Zigbee2MQTT: `zigbee2mqtt/bridge/devices` (the device list), `zigbee2mqtt/<name>` (state JSON),
//    commands published to `zigbee2mqtt/<name>/set` (see mqtt-z2m.ts);
//  - Home Assistant MQTT discovery: `homeassistant/<component>/[<node>/]<object>/config`, whose
//    topics carry the entity (see mqtt-ha.ts); an empty config removes the entity.
// Everything received is parsed defensively: unknown shapes are skipped, never thrown.
import { connectAsync, type MqttClient } from 'mqtt';
import {
  checkSupported,
  DeviceError,
  type Command,
  type DeviceSource,
  type Domain,
  type EntityState,
} from './model.js';
import {
  haCommand,
  haUpdate,
  parseDiscovery,
  slug,
  type HaRoute,
  type TopicRole,
} from './mqtt-ha.js';
import { z2mDomain, z2mSet, z2mState, type Json } from './mqtt-z2m.js';

const Z2M = 'zigbee2mqtt';
const HA = 'homeassistant';
/** How long a command waits for the device to report its new state. */
const CONFIRM_MS = 3000;
const MAX_ENTITIES = 1000;
const MAX_PAYLOAD = 64 * 1024;
/** Device states that arrived before the device list (retained messages come in any order). */
const MAX_EARLY_STATES = 256;
const MAX_WAITERS_PER_ENTITY = 16;

type Route = { kind: 'z2m'; name: string; domain: Domain } | HaRoute;

interface Entity {
  state: EntityState;
  route: Route;
}

function parseJson(payload: Buffer): unknown {
  if (payload.length > MAX_PAYLOAD) return undefined;
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}

class MqttBridge implements DeviceSource {
  private readonly entities = new Map<string, Entity>();
  private readonly byZ2mName = new Map<string, string>();
  private readonly earlyZ2m = new Map<string, Json>();
  private readonly byTopic = new Map<string, { id: string; role: TopicRole; jsonKey?: string }>();
  private readonly byDiscovery = new Map<string, string>();
  private readonly subs = new Set<(s: EntityState) => void>();
  private readonly waiters = new Map<string, Set<(s: EntityState) => void>>();

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
    partial: Partial<Pick<EntityState, 'state' | 'attributes'>>,
    name?: string,
  ): void {
    const prev = this.entities.get(entityId);
    if (!prev && this.entities.size >= MAX_ENTITIES) return;
    const stateText = partial.state ?? prev?.state.state ?? 'unknown';
    const state: EntityState = {
      entity_id: entityId,
      state: stateText,
      attributes: {
        ...(prev?.state.attributes ?? {}),
        ...(name ? { friendly_name: name.slice(0, 120) } : {}),
        ...partial.attributes,
      },
      last_changed:
        prev && prev.state.state === stateText ? prev.state.last_changed : new Date().toISOString(),
    };
    this.entities.set(entityId, { state, route });
    if (
      !prev ||
      prev.state.state !== state.state ||
      JSON.stringify(prev.state.attributes) !== JSON.stringify(state.attributes)
    ) {
      for (const cb of this.subs) cb(structuredClone(state));
      for (const w of this.waiters.get(entityId) ?? []) w(structuredClone(state));
    }
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (topic === `${Z2M}/bridge/devices`) return this.onZ2mDevices(payload);
    if (topic.startsWith(`${Z2M}/`)) {
      const name = topic.slice(Z2M.length + 1);
      if (name.startsWith('bridge/') || /\/(set|get|availability)$/.test(name)) return;
      const j = parseJson(payload);
      if (typeof j !== 'object' || j === null || Array.isArray(j)) return;
      const id = this.byZ2mName.get(name);
      if (!id) {
        // The device list has not arrived yet: keep the latest state for when it does.
        if (this.earlyZ2m.size < MAX_EARLY_STATES || this.earlyZ2m.has(name))
          this.earlyZ2m.set(name, j as Json);
        return;
      }
      const e = this.entities.get(id) as Entity;
      this.put(id, e.route, z2mState(e.route.domain, j as Json));
      return;
    }
    if (topic.startsWith(`${HA}/`) && topic.endsWith('/config'))
      return this.onDiscovery(topic, payload);
    const t = this.byTopic.get(topic);
    const e = t && this.entities.get(t.id);
    if (!t || !e || e.route.kind !== 'ha') return;
    const update = haUpdate(e.route, t.role, t.jsonKey, payload);
    if (update) this.put(t.id, e.route, update);
  }

  private onZ2mDevices(payload: Buffer): void {
    const list = parseJson(payload);
    if (!Array.isArray(list)) return;
    for (const d of list as Json[]) {
      if (typeof d?.friendly_name !== 'string' || d.type === 'Coordinator') continue;
      const domain = z2mDomain(d);
      if (!domain) continue;
      const id = `${domain}.${slug(d.friendly_name)}`;
      const route: Route = { kind: 'z2m', name: d.friendly_name, domain };
      this.byZ2mName.set(d.friendly_name, id);
      const early = this.earlyZ2m.get(d.friendly_name);
      this.earlyZ2m.delete(d.friendly_name);
      if (early) this.put(id, route, z2mState(domain, early), d.friendly_name);
      else if (!this.entities.has(id))
        this.put(id, route, { state: 'unknown', attributes: {} }, d.friendly_name);
    }
  }

  private onDiscovery(topic: string, payload: Buffer): void {
    if (payload.length === 0) {
      // An empty retained config is how Home Assistant discovery removes an entity.
      const id = this.byDiscovery.get(topic);
      if (id) this.remove(id, topic);
      return;
    }
    const d = parseDiscovery(topic, parseJson(payload));
    if (!d) return;
    // Zigbee2MQTT announces its devices here too; they are already bridged from its own topics.
    const topics = [
      ...d.route.topics.map((t) => t.topic),
      ...Object.values(d.route.send).map((x) => x.topic),
    ];
    if (topics.some((t) => t.startsWith(`${Z2M}/`))) return;
    if (!this.entities.has(d.entityId) && this.entities.size >= MAX_ENTITIES) return;
    this.byDiscovery.set(topic, d.entityId);
    this.put(d.entityId, d.route, { attributes: d.attributes }, d.name);
    for (const t of d.route.topics) {
      if (this.byTopic.has(t.topic)) continue;
      this.byTopic.set(t.topic, {
        id: d.entityId,
        role: t.role,
        ...(t.jsonKey ? { jsonKey: t.jsonKey } : {}),
      });
      void this.client.subscribeAsync(t.topic).catch(() => {});
    }
  }

  private remove(id: string, discoveryTopic: string): void {
    this.entities.delete(id);
    this.byDiscovery.delete(discoveryTopic);
    for (const [topic, t] of this.byTopic) {
      if (t.id !== id) continue;
      this.byTopic.delete(topic);
      void this.client.unsubscribeAsync(topic).catch(() => {});
    }
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

  /** Resolves with the device's next reported state, or its last known one after CONFIRM_MS. */
  private nextState(entityId: string): Promise<EntityState> {
    return new Promise((resolve) => {
      const set = this.waiters.get(entityId) ?? new Set();
      if (set.size >= MAX_WAITERS_PER_ENTITY) return resolve(this.get(entityId) as EntityState);
      const done = (s: EntityState): void => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.waiters.delete(entityId);
        resolve(s);
      };
      const timer = setTimeout(() => done(this.get(entityId) as EntityState), CONFIRM_MS);
      set.add(done);
      this.waiters.set(entityId, set);
    });
  }

  async execute(entityId: string, cmd: Command): Promise<EntityState> {
    const e = this.entities.get(entityId);
    if (!e) throw new DeviceError(`no such entity: ${entityId}`);
    checkSupported(entityId, cmd);
    let topic: string;
    let payload: string;
    if (e.route.kind === 'z2m') {
      topic = `${Z2M}/${e.route.name}/set`;
      payload = JSON.stringify(z2mSet(cmd, e.state));
    } else {
      const out = haCommand(e.route, cmd, e.state);
      if (!out) throw new DeviceError(`${entityId} does not accept ${cmd.service} over MQTT`);
      ({ topic, payload } = out);
    }
    const changed = this.nextState(entityId);
    await this.client.publishAsync(topic, payload);
    return changed;
  }

  close(): void {
    this.subs.clear();
    for (const [id, set] of this.waiters) {
      const last = this.get(id);
      if (last) for (const w of [...set]) w(last); // answers pending commands, clears timers
    }
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
