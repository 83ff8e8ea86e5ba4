// What each role counts, as plain typed interfaces. Roles take an optional `metrics` object of
// these types and never import prom-client (prom.ts implements them). Every label value is a
// member of a fixed set below: never a home id, a session id or an address.

/** How an assist request ended at the node that received it. */
export const ASSIST_OUTCOMES = [
  'accepted',
  'forwarded',
  'unknown_home',
  'busy',
  'rate_limited',
  'clash',
  'cluster_unavailable',
] as const;
export type AssistOutcome = (typeof ASSIST_OUTCOMES)[number];

/** Drop reasons a role may report; anything else is counted as 'other'. */
export const DROP_REASONS = [
  'malformed',
  'rate-limited-ip',
  'rate-limited-home',
  'register-refused',
  'registry-full',
  'keepalive-unknown',
  'assist-unknown-home',
  'assist-session-clash',
  'sessions-full',
  'spraydone-unknown',
  'refuse-unknown',
  'reply-larger-than-request',
  'addrquery-not-local',
  // the home's
  'spray-busy',
  'assist-refused',
  'refusal-rate-limited',
  'probe-rate-limited',
  'probe-wrong-home',
  'data-from-stranger',
  'unexpected',
  'other',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** Maps a free-form drop reason onto the bounded label set. */
export function dropLabel(reason: string): DropReason {
  if (reason.startsWith('unexpected-') || reason.startsWith('link-unexpected-'))
    return 'unexpected';
  return (DROP_REASONS as readonly string[]).includes(reason) ? (reason as DropReason) : 'other';
}

export type RateLimitScope = 'ip' | 'home' | 'probe' | 'refusal';

/** Drop reasons that are a rate limit's refusal, by scope. */
export const RATE_LIMIT_DROPS: Readonly<Record<string, RateLimitScope>> = {
  'rate-limited-ip': 'ip',
  'rate-limited-home': 'home',
  'probe-rate-limited': 'probe',
  'refusal-rate-limited': 'refusal',
};
export type PunchStrategy =
  'patent' | 'reverse' | 'knock' | 'spray' | 'predict' | 'relay' | 'other';
export type PunchPath = 'direct' | 'punched' | 'relayed' | 'ipv6' | 'mapped' | 'none';
export type RedisCommand = 'get' | 'set' | 'del' | 'publish' | 'heartbeat' | 'nodes' | 'subscribe';
/** Where a rejected cluster input came from. */
export type ClusterSource = 'directory' | 'membership' | 'pubsub';

/** Shared by every role. */
export interface RoleMetrics {
  drop(reason: string): void;
}

export interface RendezvousMetrics extends RoleMetrics {
  registration(): void;
  assist(outcome: AssistOutcome): void;
  ready(): void;
  /** Gauges read at scrape time (homes held, sessions in flight). */
  observe(read: () => { homes: number; sessions: number }): void;
  /** The rendezvous' relay (issue 10) reports on the same series as `porthole relay`. */
  readonly relay: RelayMetrics;
}

export interface ClusterMetrics {
  redisLatency(command: RedisCommand, seconds: number): void;
  redisError(command: RedisCommand): void;
  rejected(source: ClusterSource): void;
  forwarded(direction: 'out' | 'in' | 'answer'): void;
  degraded(on: boolean): void;
}

/** The home agent (HomeOptions.metrics; porthole home --metrics). */
export interface HomeMetrics extends RoleMetrics {
  registration(): void;
  spray(): void;
  punch(strategy: PunchStrategy, path: PunchPath, ok: boolean): void;
  /** Issue 13: the router port mapping, read at scrape time. */
  observePortmap?(read: () => PortmapGauge): void;
}

/** What the port-mapping gauges read (structurally the home's PortmapStatus). */
export interface PortmapGauge {
  state: (typeof PORTMAP_STATES)[number];
  protocol?: string;
  lifetimeS?: number;
}
export const PORTMAP_STATES = ['off', 'probing', 'mapped', 'unavailable', 'failed'] as const;

export type RelayDirection = 'to_home' | 'to_client';

/** A relay running as its own role (issue 10). */
export interface RelayMetrics {
  relayed(direction: RelayDirection, bytes: number): void;
  sessions(delta: 1 | -1): void;
  /** Payload bytes dropped over a home's rate budget (docs/seams.md §8). */
  budgetDropped?(bytes: number): void;
  /** A session the web front bridged to the relay holding its home began (+1) or ended (-1). */
  bridged?(delta: 1 | -1): void;
}

/**
 * `porthole client up` (issue 11): the agent reports each connect's outcome and its drops.
 * Entry: `serveRoleMetrics('client', addr, readiness)` (serve.ts) → `.metrics.client`.
 */
export interface ClientMetrics extends RoleMetrics {
  punch(strategy: PunchStrategy, path: PunchPath, ok: boolean): void;
  /** A connection to the home was lost and is being re-established. */
  reconnect(): void;
}
