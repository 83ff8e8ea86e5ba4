// The client agent (`porthole client up`): one kept connection per paired home and a device
// client on each, shared by every command on this machine through the control socket. Commands
// that arrive while a home is reconnecting wait for it (bounded), so a short outage costs a
// little latency instead of an error; a watch survives reconnects (it resubscribes and resyncs).
// A command in flight when the path dies is neither lost nor failed (issue 21): one device client
// per home outlives its links and re-sends it, with the same run and id, on the relayed path the
// session fell back onto or on the next link; the home applies it once. A command ends applied
// (its result) or not applied (the home said so), never on a bare timeout while the home can be asked.
import type { Command, EntityState } from '../../devices/model.js';
import { DeviceClient, type RpcClientOptions } from '../../devices/rpc-client.js';
import { PortholeError } from '../../errors.js';
import type { Clock, Logger, Random } from '../../net/types.js';
import type { ClientMetrics, PunchPath } from '../../ops/metrics.js';
import type { AgentBackend } from './control-server.js';
import type { HomeStatus } from './control-wire.js';
import { DEFAULT_KEEPER, HomeKeeper, type KeeperConfig, type KeptLink } from './keeper.js';
import type { MessageChannel } from '../../net/channel.js';
import { ClientStreams } from '../../streams/mux.js';
import { splitChannel } from '../../streams/wire.js';
import { Forwarder, type ForwardStatus } from '../forward.js';
import { DEFAULT_LIVENESS, Liveness, type LivenessConfig } from '../../devices/liveness.js';

export interface ClientAgentOptions {
  homes: readonly string[];
  connect(home: string): Promise<KeptLink>;
  clock: Clock;
  rng: Random;
  log: Logger;
  keeper?: Partial<KeeperConfig>;
  /** Wall-clock ms, for the times `client status` prints. */
  wallNow: () => number;
  /** Prometheus counters (`client up --metrics`): connect outcomes and reconnects. */
  metrics?: ClientMetrics;
  /** How long a command waits for its home to come (back) up before it fails. */
  waitUpMs?: number;
  /** The device client's windows (tests shorten them). */
  rpc?: Partial<RpcClientOptions>;
  /** The end-to-end ping through the home (liveness.ts); false: off (tests of other things). */
  liveness?: Partial<LivenessConfig> | false;
}

/**
 * A command is (re)sent for 5 s; then its fate is asked until 15 s after it was first sent (the
 * home remembers requests for 2 minutes). The control socket's callers wait longer than that.
 */
export const AGENT_RPC: Partial<RpcClientOptions> = { timeoutMs: 5_000, resolveMs: 15_000 };

interface Kept {
  keeper: HomeKeeper;
  /** This home's device client, for the agent's whole run (its links come and go). */
  dc: DeviceClient;
  /** The device client while the home is up. */
  devices: DeviceClient | undefined;
  waiting: Array<(dc: DeviceClient | undefined) => void>;
  watchers: Set<{ onState(s: EntityState): void; onPath(s: HomeStatus): void }>;
  /** The live connection's stream endpoint (issue 19), and the forwards that use it. */
  streams: ClientStreams | undefined;
  /** The live link's stream side: its endpoint is made on first use (a forward, a list). */
  streamSide: MessageChannel | undefined;
  /** The live link's punched path (its streams send on that socket), if it says. */
  route: KeptLink['route'];
  forwards: Forwarder;
  /** The live link's end-to-end ping (stopped when the link goes). */
  liveness: Liveness | undefined;
}

export class ClientAgent implements AgentBackend {
  private readonly kept = new Map<string, Kept>();
  private readonly waitUpMs: number;

  constructor(private readonly o: ClientAgentOptions) {
    if (o.homes.length === 0)
      throw new PortholeError('no-home', 'no paired home: run `porthole client pair CODE` first');
    this.waitUpMs = o.waitUpMs ?? 15_000;
    for (const home of o.homes) this.add(home);
  }

  private add(home: string): Kept {
    const o = this.o;
    const keeper = new HomeKeeper(
      home,
      () => o.connect(home),
      o.clock,
      o.rng,
      { ...DEFAULT_KEEPER, ...o.keeper },
      o.wallNow,
    );
    const dc = new DeviceClient(undefined, o.clock, o.rng, { ...AGENT_RPC, ...o.rpc });
    dc.onSuspect(() => {
      keeper.suspect();
      k.liveness?.suspect();
    });
    const k: Kept = {
      keeper,
      dc,
      devices: undefined,
      waiting: [],
      watchers: new Set(),
      streams: undefined,
      streamSide: undefined,
      route: undefined,
      forwards: new Forwarder(() => k.streams, o.log),
      liveness: undefined,
    };
    keeper.onUp((link) => this.onUp(k, link));
    keeper.onChange((s) => this.onChange(k, s));
    this.kept.set(home, k);
    return k;
  }

  /** SIGHUP: keep exactly `homes` (newly paired ones start, unpaired ones stop). */
  reload(homes: readonly string[]): void {
    for (const [home, k] of this.kept) {
      if (homes.includes(home)) continue;
      this.stopOne(k);
      this.kept.delete(home);
    }
    for (const home of homes) if (!this.kept.has(home)) this.add(home).keeper.start();
  }

  start(): void {
    for (const k of this.kept.values()) k.keeper.start();
  }

  stop(): void {
    for (const k of this.kept.values()) this.stopOne(k);
  }

  private stopOne(k: Kept): void {
    k.liveness?.stop();
    k.liveness = undefined;
    k.forwards.close();
    k.streams?.close();
    k.streams = undefined;
    k.dc.close();
    k.keeper.stop();
    for (const w of k.waiting) w(undefined);
    k.waiting = [];
  }

  status(): HomeStatus[] {
    return [...this.kept.values()].map((k) => {
      const cur = k.keeper.current;
      const forwards = k.forwards.status().map((f) => ({ ...f, path: cur.path ?? 'down' }));
      return forwards.length ? { ...cur, forwards } : cur;
    });
  }

  /** The services the home lets this client use (waits, bounded, for the home to be up). */
  async services(home: string | undefined): Promise<string[]> {
    const k = this.pick(home);
    await this.devices(home);
    const cs = this.streamsOf(k);
    if (!cs) throw new PortholeError('home-unreachable', `home ${k.keeper.home} is down`);
    await cs.ready;
    return cs.services();
  }

  /**
   * Starts forwards (`[BIND:]LOCALPORT:NAME`) on a home's kept connection; the listeners live
   * here. Returns their status and the stop function (the requester's control connection ends).
   */
  async forward(
    home: string | undefined,
    specs: readonly string[],
  ): Promise<{ forwards: ForwardStatus[]; stop(): void }> {
    const k = this.pick(home);
    await this.streamsOf(k)?.ready;
    const started: ForwardStatus[] = [];
    const stop = (): void => started.forEach((f) => k.forwards.remove(f.spec));
    try {
      for (const spec of specs) started.push(await k.forwards.add(spec));
    } catch (e) {
      stop();
      throw new PortholeError('forward-failed', (e as Error).message);
    }
    return { forwards: started, stop };
  }

  list(home: string | undefined): Promise<EntityState[]> {
    return this.request(home, (dc) => dc.list());
  }

  get(home: string | undefined, entity: string): Promise<EntityState> {
    return this.request(home, (dc) => dc.get(entity));
  }

  call(home: string | undefined, entity: string, command: Command): Promise<EntityState> {
    return this.request(home, (dc) => dc.call(entity, command));
  }

  /** A request unanswered for ~1 s makes the path's owner probe it (the device client says so). */
  private async request<T>(
    home: string | undefined,
    fn: (dc: DeviceClient) => Promise<T>,
  ): Promise<T> {
    return fn(await this.devices(home));
  }

  async watch(
    home: string | undefined,
    onState: (s: EntityState) => void,
    onPath: (s: HomeStatus) => void,
  ): Promise<() => void> {
    const k = this.pick(home);
    const w = { onState, onPath };
    k.watchers.add(w);
    onPath(k.keeper.current);
    if (k.watchers.size === 1) {
      // While the home is down the subscription waits for the next link (which resyncs anyway).
      const sub = k.dc.watch(this.dispatch(k));
      if (k.devices) await sub;
      else sub.catch(() => {});
    }
    return () => {
      k.watchers.delete(w);
      if (k.watchers.size === 0) k.dc.unwatch(this.dispatch(k)).catch(() => {});
    };
  }

  private readonly dispatchers = new Map<Kept, (s: EntityState) => void>();
  private dispatch(k: Kept): (s: EntityState) => void {
    let d = this.dispatchers.get(k);
    if (!d) {
      d = (s) => {
        for (const w of k.watchers) w.onState(s);
      };
      this.dispatchers.set(k, d);
    }
    return d;
  }

  private pick(home: string | undefined): Kept {
    if (home === undefined) {
      if (this.kept.size === 1) return [...this.kept.values()][0] as Kept;
      throw new PortholeError(
        'home-ambiguous',
        `several homes are paired (${[...this.kept.keys()].join(', ')}): say which with --home`,
      );
    }
    const k = this.kept.get(home);
    if (!k)
      throw new PortholeError(
        'home-unknown',
        `the agent does not keep ${home} (it keeps ${[...this.kept.keys()].join(', ')})`,
      );
    return k;
  }

  /** The home's device client, waiting (bounded) while it connects. */
  private devices(home: string | undefined): Promise<DeviceClient> {
    const k = this.pick(home);
    if (k.devices) return Promise.resolve(k.devices);
    return new Promise((resolve, reject) => {
      const timer = this.o.clock.setTimer(this.waitUpMs, () => {
        k.waiting = k.waiting.filter((w) => w !== waiter);
        const s = k.keeper.current;
        reject(
          new PortholeError(
            'home-unreachable',
            `not applied: home ${k.keeper.home} is ${s.state}${s.lastError ? ` (${s.lastError})` : ''}; nothing was sent`,
          ),
        );
      });
      const waiter = (dc: DeviceClient | undefined): void => {
        timer.cancel();
        if (dc) resolve(dc);
        else
          reject(new PortholeError('agent-stopped', 'not applied: the client agent is stopping'));
      };
      k.waiting.push(waiter);
    });
  }

  /** The stream endpoint on the live link, made on first use (its sockets cost nothing before). */
  private streamsOf(k: Kept): ClientStreams | undefined {
    if (!k.streams && k.streamSide)
      k.streams = new ClientStreams({
        channel: k.streamSide,
        clock: this.o.clock,
        ...(k.route ? { route: k.route } : {}),
      });
    return k.streams;
  }

  private onUp(k: Kept, link: KeptLink): void {
    const dc = k.dc;
    // Stream frames (forwards, issue 19) share the channel with the device RPC, split off first.
    const { app, streams } = splitChannel(link.channel);
    k.streams?.close();
    k.streams = undefined;
    k.streamSide = streams;
    k.route = link.route?.bind(link);
    if (k.forwards.status().length > 0) this.streamsOf(k);
    // What is in flight goes again on the new link (same ids); a watch resubscribes and resyncs.
    dc.attach(app);
    k.devices = dc;
    // The session moved (fell back onto the relay, or up to a direct path): re-send now.
    link.onMoved?.(() => {
      if (k.devices === dc && k.keeper.current.state === 'up') dc.pathChanged();
    });
    k.liveness?.stop();
    k.liveness = undefined;
    const lc = this.o.liveness;
    if (lc !== false) {
      const live = new Liveness(
        this.o.clock,
        (ms, cb) => dc.probe(ms, cb),
        (reason) => {
          if (k.liveness === live) k.keeper.lost(reason);
        },
        { ...DEFAULT_LIVENESS, ...lc },
      );
      k.liveness = live.start();
    }
    const waiting = k.waiting;
    k.waiting = [];
    for (const w of waiting) w(dc);
  }

  private onChange(k: Kept, s: HomeStatus): void {
    this.o.log.info({ ...s }, `home ${s.home} ${s.state}`);
    const m = this.o.metrics;
    if (m && s.state === 'up') m.punch('other', pathLabel(s.path), true);
    if (m && s.state === 'down') {
      if (s.reconnects > 0 && k.devices) m.reconnect();
      else m.punch('other', 'none', false);
    }
    if (s.state !== 'up') {
      k.liveness?.stop();
      k.liveness = undefined;
    }
    if (s.state !== 'up' && k.devices) {
      k.devices.detach();
      k.devices = undefined;
      k.streams?.close();
      k.streams = undefined;
      k.streamSide = undefined;
    }
    for (const w of k.watchers) w.onPath(s);
  }
}

const PATHS: readonly PunchPath[] = ['direct', 'punched', 'relayed', 'ipv6', 'mapped'];
/** The bounded metrics label for a path name. */
function pathLabel(path: string | undefined): PunchPath {
  return (PATHS as readonly (string | undefined)[]).includes(path) ? (path as PunchPath) : 'none';
}
