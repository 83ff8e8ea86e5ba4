// prom-client behind the typed interfaces of metrics.ts. One Registry per process (or per test),
// never the global one, so several roles or nodes in one process do not collide.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import {
  dropLabel,
  RATE_LIMIT_DROPS,
  type AssistOutcome,
  type ClientMetrics,
  type ClusterMetrics,
  type HomeMetrics,
  type PortmapGauge,
  PORTMAP_STATES,
  type RelayMetrics,
  type RendezvousMetrics,
} from './metrics.js';

export type Role = 'rendezvous' | 'home' | 'client' | 'relay';

export interface Metrics {
  readonly registry: Registry;
  readonly rendezvous: RendezvousMetrics;
  readonly cluster: ClusterMetrics;
  readonly home: HomeMetrics;
  readonly relay: RelayMetrics;
  readonly client: ClientMetrics;
  /** The exposition text (what /metrics serves). */
  text(): Promise<string>;
  readonly contentType: string;
}

/** Assist outcomes that the rendezvous reports only as drops. */
const ASSIST_BY_DROP: Record<string, AssistOutcome> = {
  'assist-unknown-home': 'unknown_home',
  'sessions-full': 'busy',
  'rate-limited-home': 'rate_limited',
  'assist-session-clash': 'clash',
};

export function createMetrics(role: Role, opts: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ role });
  // Default metrics include nodejs_eventloop_lag_seconds and heap/GC figures.
  if (opts.defaults !== false) collectDefaultMetrics({ register: registry });
  const reg = [registry];
  const drops = new Counter({
    name: 'porthole_dropped_datagrams_total',
    help: 'Datagrams not acted on, by reason',
    labelNames: ['reason'],
    registers: reg,
  });
  const rateLimited = new Counter({
    name: 'porthole_rate_limit_refusals_total',
    help: 'Requests refused by a rate limit, by scope',
    labelNames: ['scope'],
    registers: reg,
  });
  const registrations = new Counter({
    name: 'porthole_registrations_total',
    help: 'Home registrations (new or moved mapping)',
    registers: reg,
  });
  const assists = new Counter({
    name: 'porthole_assists_total',
    help: 'Assist requests by outcome at the node that received them',
    labelNames: ['outcome'],
    registers: reg,
  });
  const readies = new Counter({
    name: 'porthole_readies_total',
    help: 'Ready messages sent to clients (figure 2 completed)',
    registers: reg,
  });
  const sprays = new Counter({ name: 'porthole_sprays_total', help: 'Sprays', registers: reg });
  const punches = new Counter({
    name: 'porthole_punch_outcomes_total',
    help: 'Traversal outcomes by strategy, path and result',
    labelNames: ['strategy', 'path', 'result'],
    registers: reg,
  });
  const relayBytes = new Counter({
    name: 'porthole_relayed_bytes_total',
    help: 'Bytes relayed, by direction',
    labelNames: ['direction'],
    registers: reg,
  });
  const relayBudgetDropped = new Counter({
    name: 'porthole_relay_budget_dropped_bytes_total',
    help: 'Relayed payload bytes dropped because their home was over its rate budget',
    registers: reg,
  });
  const relaySessions = new Gauge({
    name: 'porthole_relay_sessions',
    help: 'Relayed sessions open',
    registers: reg,
  });
  const relayBridged = new Gauge({
    name: 'porthole_relay_bridged_sessions',
    help: 'Phone sessions the web front carries to the relay holding the home (relay node, owner node)',
    registers: reg,
  });
  const relayBridgedTotal = new Counter({
    name: 'porthole_relay_bridged_sessions_total',
    help: 'Phone sessions bridged by the web front since start',
    registers: reg,
  });
  const reconnects = new Counter({
    name: 'porthole_reconnects_total',
    help: 'Connections to a home lost and re-established (client up)',
    registers: reg,
  });
  const redisSeconds = new Histogram({
    name: 'porthole_redis_command_duration_seconds',
    help: 'Redis command latency',
    labelNames: ['command'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: reg,
  });
  const redisErrors = new Counter({
    name: 'porthole_redis_errors_total',
    help: 'Redis commands that failed or timed out',
    labelNames: ['command'],
    registers: reg,
  });
  const rejected = new Counter({
    name: 'porthole_cluster_rejected_total',
    help: 'Invalid entries or messages read from Redis, dropped',
    labelNames: ['source'],
    registers: reg,
  });
  const forwards = new Counter({
    name: 'porthole_cluster_forwards_total',
    help: 'Assists forwarded between nodes (out: sent, in: received to run, answer: answers relayed)',
    labelNames: ['direction'],
    registers: reg,
  });
  const degraded = new Gauge({
    name: 'porthole_cluster_degraded',
    help: '1 while Redis is unreachable (local homes still served)',
    registers: reg,
  });
  let read: (() => { homes: number; sessions: number }) | undefined;
  new Gauge({
    name: 'porthole_homes_registered',
    help: 'Homes held by this node',
    registers: reg,
    collect() {
      if (read) this.set(read().homes);
    },
  });
  new Gauge({
    name: 'porthole_assist_sessions',
    help: 'Assist sessions in flight on this node',
    registers: reg,
    collect() {
      if (read) this.set(read().sessions);
    },
  });

  let readPortmap: (() => PortmapGauge) | undefined;
  new Gauge({
    name: 'porthole_portmap_state',
    help: 'Router port mapping (issue 13): 1 for the current state (mapped = verified, advertised)',
    labelNames: ['state'],
    registers: reg,
    collect() {
      const now = readPortmap?.().state;
      if (now) for (const state of PORTMAP_STATES) this.set({ state }, state === now ? 1 : 0);
    },
  });
  new Gauge({
    name: 'porthole_portmap_lifetime_seconds',
    help: 'Lifetime the router granted the current mapping (0 when none)',
    registers: reg,
    collect() {
      if (readPortmap) this.set(readPortmap().lifetimeS ?? 0);
    },
  });

  const drop = (reason: string): void => {
    drops.inc({ reason: dropLabel(reason) });
    const scope = RATE_LIMIT_DROPS[reason];
    if (scope) rateLimited.inc({ scope });
    const outcome = ASSIST_BY_DROP[reason];
    if (outcome) assists.inc({ outcome });
  };
  const punch = (...[strategy, path, ok]: Parameters<HomeMetrics['punch']>): void => {
    punches.inc({ strategy, path, result: ok ? 'ok' : 'failed' });
  };
  const relay: RelayMetrics = {
    relayed: (direction, bytes) => relayBytes.inc({ direction }, bytes),
    sessions: (delta) => relaySessions.inc(delta),
    budgetDropped: (bytes) => relayBudgetDropped.inc(bytes),
    bridged: (delta) => {
      relayBridged.inc(delta);
      if (delta > 0) relayBridgedTotal.inc();
    },
  };
  return {
    registry,
    contentType: registry.contentType,
    text: () => registry.metrics(),
    rendezvous: {
      drop,
      registration: () => registrations.inc(),
      assist: (outcome) => assists.inc({ outcome }),
      ready: () => readies.inc(),
      observe: (fn) => {
        read = fn;
      },
      relay,
    },
    cluster: {
      redisLatency: (command, s) => redisSeconds.observe({ command }, s),
      redisError: (command) => redisErrors.inc({ command }),
      rejected: (source) => rejected.inc({ source }),
      forwarded: (direction) => forwards.inc({ direction }),
      degraded: (on) => degraded.set(on ? 1 : 0),
    },
    home: {
      drop,
      registration: () => registrations.inc(),
      spray: () => sprays.inc(),
      punch,
      observePortmap: (fn) => {
        readPortmap = fn;
      },
    },
    relay,
    client: { drop, punch, reconnect: () => reconnects.inc() },
  };
}
