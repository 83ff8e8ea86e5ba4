// The simulated house (the default device source): a few lights, a switch, a temperature sensor,
// a thermostat, a lock, a garage door and a door contact, with plausible behaviour on an injected
// clock (the garage door takes a few seconds, temperatures drift towards the thermostat).
import type { Clock, TimerHandle } from '../net/types.js';
import {
  checkSupported,
  DeviceError,
  type Command,
  type DeviceSource,
  type EntityState,
} from './model.js';

const COVER_TRAVEL_MS = 3000;
const DRIFT_MS = 30_000;
const HYSTERESIS = 0.3;
/** Where the room cools to with the heating off. */
const OUTDOOR = 12;

export class SimulatedHouse implements DeviceSource {
  private readonly states = new Map<string, EntityState>();
  private readonly subs = new Set<(s: EntityState) => void>();
  private driftTimer: TimerHandle | undefined;
  /** One travel timer per cover: a new command replaces the old movement. */
  private readonly travel = new Map<string, TimerHandle>();
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly wallClock: () => number = Date.now,
  ) {
    const add = (entity_id: string, state: string, attributes: EntityState['attributes']): void =>
      void this.states.set(entity_id, { entity_id, state, attributes, last_changed: this.iso() });
    add('light.kitchen', 'off', { friendly_name: 'Kitchen', brightness: 0, color_temp: 300 });
    add('light.living_room', 'on', {
      friendly_name: 'Living room',
      brightness: 180,
      color_temp: 370,
    });
    add('light.bedroom', 'off', { friendly_name: 'Bedroom', brightness: 0, color_temp: 400 });
    add('switch.coffee_maker', 'off', { friendly_name: 'Coffee maker' });
    add('sensor.living_room_temperature', '20.5', {
      friendly_name: 'Living room temperature',
      unit_of_measurement: '°C',
      device_class: 'temperature',
    });
    add('climate.thermostat', 'heat', {
      friendly_name: 'Thermostat',
      temperature: 21,
      current_temperature: 20.5,
      hvac_action: 'heating',
      min_temp: 5,
      max_temp: 35,
    });
    add('lock.front_door', 'locked', { friendly_name: 'Front door' });
    add('binary_sensor.front_door_contact', 'off', {
      friendly_name: 'Front door contact',
      device_class: 'door',
    });
    add('cover.garage_door', 'closed', { friendly_name: 'Garage door', current_position: 0 });
    this.scheduleDrift();
  }

  private iso(): string {
    return new Date(this.wallClock()).toISOString();
  }

  list(): EntityState[] {
    return [...this.states.values()].map((s) => structuredClone(s));
  }

  get(entityId: string): EntityState | undefined {
    const s = this.states.get(entityId);
    return s && structuredClone(s);
  }

  subscribe(cb: (s: EntityState) => void): () => void {
    this.subs.add(cb);
    return () => this.subs.delete(cb);
  }

  close(): void {
    this.closed = true;
    this.driftTimer?.cancel();
    this.travel.forEach((t) => t.cancel());
    this.subs.clear();
  }

  private update(
    entityId: string,
    state: string,
    attrs: EntityState['attributes'] = {},
  ): EntityState {
    const prev = this.states.get(entityId) as EntityState;
    const next: EntityState = {
      entity_id: entityId,
      state,
      attributes: { ...prev.attributes, ...attrs },
      last_changed: state !== prev.state ? this.iso() : prev.last_changed,
    };
    this.states.set(entityId, next);
    for (const cb of this.subs) cb(structuredClone(next));
    return structuredClone(next);
  }

  execute(entityId: string, cmd: Command): Promise<EntityState> {
    try {
      return Promise.resolve(this.apply(entityId, cmd));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private apply(entityId: string, cmd: Command): EntityState {
    const cur = this.states.get(entityId);
    if (!cur) throw new DeviceError(`no such entity: ${entityId}`);
    checkSupported(entityId, cmd);
    const on = cur.state === 'on';
    switch (cmd.service) {
      case 'turn_on':
        if (entityId.startsWith('climate.')) return this.update(entityId, 'heat');
        return this.update(entityId, 'on', {
          ...(entityId.startsWith('light.')
            ? { brightness: cmd.brightness ?? (Number(cur.attributes.brightness) || 255) }
            : {}),
          ...(cmd.color_temp !== undefined ? { color_temp: cmd.color_temp } : {}),
        });
      case 'turn_off':
        if (entityId.startsWith('climate.')) return this.update(entityId, 'off');
        return this.update(entityId, 'off', entityId.startsWith('light.') ? { brightness: 0 } : {});
      case 'toggle':
        if (entityId.startsWith('cover.'))
          return this.apply(entityId, { service: cur.state === 'closed' ? 'open' : 'close' });
        return this.apply(entityId, { service: on ? 'turn_off' : 'turn_on' });
      case 'set_temperature':
        return this.update(entityId, cur.state, { temperature: cmd.temperature });
      case 'lock':
        return this.update(entityId, 'locked');
      case 'unlock':
        return this.update(entityId, 'unlocked');
      case 'open':
      case 'close': {
        const target = cmd.service === 'open' ? 'open' : 'closed';
        if (cur.state === target) return structuredClone(cur);
        const moving = this.update(entityId, cmd.service === 'open' ? 'opening' : 'closing');
        this.travel.get(entityId)?.cancel();
        this.travel.set(
          entityId,
          this.clock.setTimer(COVER_TRAVEL_MS, () => {
            this.travel.delete(entityId);
            if (!this.closed)
              this.update(entityId, target, { current_position: target === 'open' ? 100 : 0 });
          }),
        );
        return moving;
      }
      default:
        // Wire-v2 services; checkSupported refuses them before this.
        throw new DeviceError(`${entityId} does not support ${cmd.service}`);
    }
  }

  /** The room warms while the heater runs and cools towards the outdoors otherwise; like a real
   *  thermostat, the heater switches with a little hysteresis around the target, so the
   *  temperature keeps drifting in a small band instead of freezing at the target. */
  private scheduleDrift(): void {
    this.driftTimer = this.clock.setTimer(DRIFT_MS, () => {
      if (this.closed) return;
      const t = this.states.get('climate.thermostat') as EntityState;
      const target = Number(t.attributes.temperature);
      const current = Number(t.attributes.current_temperature);
      const wasHeating = t.attributes.hvac_action === 'heating';
      const heating =
        t.state === 'heat' &&
        (current < target - HYSTERESIS || (wasHeating && current < target + HYSTERESIS));
      const next = heating ? current + 0.2 : Math.max(OUTDOOR, current - 0.1);
      const rounded = Math.round(next * 10) / 10;
      const action = heating ? 'heating' : t.state === 'off' ? 'off' : 'idle';
      if (rounded !== current || action !== t.attributes.hvac_action) {
        this.update('climate.thermostat', t.state, {
          current_temperature: rounded,
          hvac_action: action,
        });
      }
      if (rounded !== current) this.update('sensor.living_room_temperature', rounded.toFixed(1));
      this.scheduleDrift();
    });
  }
}
