// Home Assistant as the home's device source (`--devices ha://HOST:PORT`, `has://` for TLS, the
// token from `--ha-token-file`): every HA entity in Porthole's model (ha-map.ts), grouped by area,
// kept current through HA's `subscribe_entities` stream, and each command carried out by exactly
// one HA `call_service` with `target: {entity_id}`.
//
// A good HA client: the link (ha-connection.ts) reconnects with backoff; after every (re)connect
// the bridge takes the fresh subscription's full snapshot before it calls the states live again,
// and between the two it serves them marked stale (wire v2) or not at all (wire v1, whose clients
// cannot tell). A bad token, HA down at start or gone mid-session never stops the home: health()
// says why, for the log, `home status` and the client.
import type { Connection } from 'home-assistant-js-websocket';
import type { Clock, TimerHandle } from '../net/types.js';
import { HaLink, haWsUrl, type HaLinkState } from './ha-connection.js';
import {
  applyEntitiesEvent,
  areaOf,
  emptyRegistry,
  parseAreas,
  parseDevices,
  parseEntityRegistry,
  toEntityState,
  toServiceCall,
  UNAVAILABLE,
  type HaEntity,
  type HaRegistry,
} from './ha-map.js';
import {
  DeviceError,
  type Command,
  type DeviceSource,
  type EntityState,
  type SourceHealth,
} from './model.js';

/** How long a command waits for HA to report the entity's new state after the call returned. */
const CONFIRM_MS = 1500;
const REGISTRY_DEBOUNCE_MS = 500;
const MAX_WAITERS = 64;

export interface HaBridgeStats {
  /** Service calls sent to HA. */
  calls: number;
  /** HA's own time for the last call_service (send → result), ms. */
  lastServiceMs: number | undefined;
  /** Completed resyncs (one per connection). */
  resyncs: number;
  /** Subscription events dropped for being malformed. */
  badEvents: number;
  haVersion: string | undefined;
}

export class HaBridge implements DeviceSource {
  readonly exposable = true;
  private store = new Map<string, HaEntity>();
  private registry: HaRegistry = emptyRegistry();
  private conn: Connection | undefined;
  private live = false;
  private healthNow: SourceHealth;
  private readonly subs = new Set<(s: EntityState) => void>();
  private readonly healthSubs = new Set<(h: SourceHealth) => void>();
  private readonly waiters = new Set<{ id: string; fn: () => void }>();
  private readonly link: HaLink;
  private registryTimer: TimerHandle | undefined;
  private firstSettled: (() => void) | undefined;
  readonly firstAttempt: Promise<void>;
  readonly stats: HaBridgeStats = {
    calls: 0,
    lastServiceMs: undefined,
    resyncs: 0,
    badEvents: 0,
    haVersion: undefined,
  };

  constructor(
    readonly spec: string,
    tokenFile: string,
    private readonly clock: Clock,
    private readonly wallNow: () => number = Date.now,
  ) {
    this.healthNow = { live: false, error: 'connecting to Home Assistant', since: this.iso() };
    this.firstAttempt = new Promise((r) => (this.firstSettled = r));
    this.link = new HaLink(haWsUrl(spec), tokenFile, clock, {
      connected: (conn, version) => this.onConnected(conn, version),
      down: (state, error) => this.onDown(state, error),
    });
    this.link.start();
  }

  private iso(): string {
    return new Date(this.wallNow()).toISOString();
  }

  get linkState(): HaLinkState {
    return this.link.state;
  }

  private setHealth(live: boolean, error?: string): void {
    const changed = live !== this.healthNow.live || error !== this.healthNow.error;
    if (!changed) return;
    this.healthNow = { live, ...(error ? { error } : {}), since: this.iso() };
    for (const cb of this.healthSubs) cb({ ...this.healthNow });
  }

  private onDown(_state: HaLinkState, error: string): void {
    this.conn = undefined;
    this.live = false;
    this.setHealth(false, error);
    this.firstSettled?.();
    this.firstSettled = undefined;
    for (const w of [...this.waiters]) w.fn(); // pending commands answer with what is known
  }

  private onConnected(conn: Connection, version: string): void {
    this.conn = conn;
    this.stats.haVersion = version;
    this.setHealth(false, 'connected to Home Assistant; loading states');
    void this.resync(conn);
  }

  /** Registries, then a fresh entity subscription whose first event is the full snapshot. */
  private async resync(conn: Connection): Promise<void> {
    try {
      await this.loadRegistry(conn);
      for (const ev of [
        'area_registry_updated',
        'device_registry_updated',
        'entity_registry_updated',
      ])
        await conn.subscribeEvents(() => this.registryChanged(conn), ev);
      const fresh = new Map<string, HaEntity>();
      let first = true;
      await conn.subscribeMessage(
        (ev: unknown) => {
          if (conn !== this.conn) return;
          if (first) {
            first = false;
            applyEntitiesEvent(fresh, ev);
            this.adopt(fresh);
            return;
          }
          const changed = applyEntitiesEvent(this.store, ev);
          if (changed.length === 0) this.stats.badEvents++;
          for (const id of changed) this.emit(id);
        },
        { type: 'subscribe_entities' },
        { resubscribe: false },
      );
    } catch (e) {
      if (conn === this.conn)
        this.link.reconnect(`Home Assistant refused a subscription: ${msg(e)}`);
    }
  }

  /** The fresh snapshot replaces the store; what changed meanwhile is pushed; states are live. */
  private adopt(fresh: Map<string, HaEntity>): void {
    const before = this.store;
    this.store = fresh;
    this.live = true;
    this.stats.resyncs++;
    this.setHealth(true);
    this.firstSettled?.();
    this.firstSettled = undefined;
    for (const [id, e] of fresh) {
      const old = before.get(id);
      if (
        !old ||
        old.state !== e.state ||
        JSON.stringify(old.attributes) !== JSON.stringify(e.attributes)
      )
        this.emit(id);
    }
  }

  private async loadRegistry(conn: Connection): Promise<void> {
    const [areas, devices, entities] = await Promise.all([
      conn.sendMessagePromise({ type: 'config/area_registry/list' }),
      conn.sendMessagePromise({ type: 'config/device_registry/list' }),
      conn.sendMessagePromise({ type: 'config/entity_registry/list' }),
    ]);
    this.registry = {
      areas: parseAreas(areas),
      deviceArea: parseDevices(devices),
      entity: parseEntityRegistry(entities),
    };
  }

  private registryChanged(conn: Connection): void {
    this.registryTimer?.cancel();
    this.registryTimer = this.clock.setTimer(REGISTRY_DEBOUNCE_MS, () => {
      if (conn !== this.conn) return;
      const before = new Map([...this.store.keys()].map((id) => [id, areaOf(this.registry, id)]));
      this.loadRegistry(conn).then(
        () => {
          for (const [id, area] of before) if (areaOf(this.registry, id) !== area) this.emit(id);
        },
        () => undefined, // the next change or reconnect loads it again
      );
    });
  }

  private state(id: string): EntityState | undefined {
    const e = this.store.get(id);
    return e ? toEntityState(e, areaOf(this.registry, id), !this.live) : undefined;
  }

  private emit(id: string): void {
    for (const w of [...this.waiters]) if (w.id === id) w.fn();
    const s = this.state(id);
    if (!s) return;
    for (const cb of this.subs) cb(s);
  }

  list(): EntityState[] {
    return [...this.store.keys()].sort().map((id) => this.state(id) as EntityState);
  }

  get(entityId: string): EntityState | undefined {
    return this.state(entityId);
  }

  async execute(entityId: string, cmd: Command): Promise<EntityState> {
    const conn = this.conn;
    if (!this.live || !conn)
      throw new DeviceError(
        `Home Assistant is unreachable (${this.healthNow.error ?? 'not connected'}); command not sent`,
      );
    const e = this.store.get(entityId);
    if (!e) throw new DeviceError(`no such entity: ${entityId}`);
    const call = toServiceCall(entityId, cmd);
    // HA skips an unavailable entity and reports success: refuse it here, clearly.
    if (UNAVAILABLE.includes(e.state))
      throw new DeviceError(`${entityId} is unavailable in Home Assistant; command not sent`);
    const changed = this.nextChange(entityId);
    const t0 = this.clock.now();
    this.stats.calls++;
    try {
      await conn.sendMessagePromise({
        type: 'call_service',
        domain: call.domain,
        service: call.service,
        service_data: call.data,
        target: { entity_id: entityId },
      });
    } catch (err) {
      changed.cancel();
      throw new DeviceError(`Home Assistant refused ${call.domain}.${call.service}: ${msg(err)}`);
    } finally {
      this.stats.lastServiceMs = this.clock.now() - t0;
    }
    await changed.done;
    return this.state(entityId) ?? toEntityState(e, undefined, true);
  }

  /** Resolves at the entity's next state event (or after CONFIRM_MS: HA may report none). */
  private nextChange(id: string): { done: Promise<void>; cancel(): void } {
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    if (this.waiters.size >= MAX_WAITERS) {
      finish();
      return { done, cancel: () => undefined };
    }
    const w = {
      id,
      fn: () => {
        timer.cancel();
        this.waiters.delete(w);
        finish();
      },
    };
    const timer = this.clock.setTimer(CONFIRM_MS, w.fn);
    this.waiters.add(w);
    return { done, cancel: w.fn };
  }

  subscribe(cb: (s: EntityState) => void): () => void {
    this.subs.add(cb);
    return () => void this.subs.delete(cb);
  }

  health(): SourceHealth {
    return { ...this.healthNow };
  }

  onHealth(cb: (h: SourceHealth) => void): () => void {
    this.healthSubs.add(cb);
    return () => void this.healthSubs.delete(cb);
  }

  close(): void {
    this.subs.clear();
    this.healthSubs.clear();
    this.registryTimer?.cancel();
    for (const w of [...this.waiters]) w.fn();
    this.link.close();
    this.conn = undefined;
  }
}

function msg(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && e !== null && 'message' in e) return String(e.message);
  return String(e);
}

/**
 * `spec`: ha://HOST:PORT or has://HOST:PORT. Waits (at most `firstMs`) for the first connection
 * attempt so the log can say at once whether HA answered; HA down or a bad token never fails this:
 * the bridge keeps retrying and health() says why.
 */
export async function openHaBridge(
  spec: string,
  tokenFile: string | undefined,
  clock: Clock,
  firstMs = 10_000,
): Promise<HaBridge> {
  if (!tokenFile)
    throw new DeviceError(
      `--devices ${spec} needs --ha-token-file FILE (a long-lived access token from your HA profile)`,
    );
  const bridge = new HaBridge(spec, tokenFile, clock);
  let timer: TimerHandle | undefined;
  await Promise.race([
    bridge.firstAttempt,
    new Promise<void>((r) => (timer = clock.setTimer(firstMs, r))),
  ]);
  timer?.cancel();
  return bridge;
}
