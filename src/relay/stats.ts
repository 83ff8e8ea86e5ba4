// The relay's counters: sessions, bytes, closes by reason, drops by reason. Reasons are fixed
// strings (bounded label sets), never ids or addresses. The same events go to the role's metrics
// when it has them (`RelayMetrics`, injected: no prom-client import here).
import type { RelayMetrics } from '../ops/metrics.js';
import type { RelayTransportKind } from './transport.js';

export interface RelayStats {
  /** Live sessions (offered or open). */
  sessions: number;
  opened: Record<RelayTransportKind, number>;
  accepted: number;
  /** relayOpen answered with relayRedirect (the home is relayed elsewhere). */
  redirected: number;
  /** relayOpen carried to the redirect's target by this front instead (relay/bridge.ts). */
  bridged: number;
  /** Bridged sessions live now. */
  bridgedLive: number;
  /** Bridged sessions ended, by reason. */
  bridgeCloses: Record<string, number>;
  /** relayOpen answered with relayClosed at once (unknown home, caps, clashes), by reason. */
  refusedOpens: Record<string, number>;
  bytesToHome: number;
  bytesToClient: number;
  /** relayData payload bytes dropped because their home was over its rate budget. */
  budgetDroppedBytes: number;
  closes: Record<string, number>;
  drops: Record<string, number>;
}

function inc(rec: Record<string, number>, key: string, by = 1): void {
  rec[key] = (rec[key] ?? 0) + by;
}

export class RelayStatsCounter {
  private readonly s: Omit<RelayStats, 'sessions'> = {
    opened: { udp: 0, tcp: 0, ws: 0 },
    accepted: 0,
    redirected: 0,
    bridged: 0,
    bridgedLive: 0,
    bridgeCloses: {},
    refusedOpens: {},
    bytesToHome: 0,
    bytesToClient: 0,
    budgetDroppedBytes: 0,
    closes: {},
    drops: {},
  };

  constructor(private readonly meter?: RelayMetrics) {}

  /** A session entered the table (offered); `closed` is called once when it leaves. */
  opened(kind: RelayTransportKind): void {
    this.s.opened[kind]++;
    this.meter?.sessions(1);
  }
  redirected(): void {
    this.s.redirected++;
  }
  /** A bridged session began (+1) or ended (-1, with its reason). */
  bridged(delta: 1 | -1, reason?: string): void {
    if (delta > 0) this.s.bridged++;
    this.s.bridgedLive += delta;
    if (reason) inc(this.s.bridgeCloses, reason);
    this.meter?.bridged?.(delta);
  }
  accepted(): void {
    this.s.accepted++;
  }
  refusedOpen(reason: string): void {
    inc(this.s.refusedOpens, reason);
  }
  bytes(dir: 'toHome' | 'toClient', n: number): void {
    if (dir === 'toHome') this.s.bytesToHome += n;
    else this.s.bytesToClient += n;
    if (n > 0) this.meter?.relayed(dir === 'toHome' ? 'to_home' : 'to_client', n);
  }
  /** A relayData over its home's rate budget, dropped (also counted as a drop). */
  budgetDropped(n: number): void {
    this.s.budgetDroppedBytes += n;
    inc(this.s.drops, 'home-budget');
    this.meter?.budgetDropped?.(n);
  }
  closed(reason: string): void {
    inc(this.s.closes, reason);
    this.meter?.sessions(-1);
  }
  drop(reason: string): void {
    inc(this.s.drops, reason);
  }

  snapshot(sessions: number): RelayStats {
    return structuredClone({ sessions, ...this.s });
  }
}
