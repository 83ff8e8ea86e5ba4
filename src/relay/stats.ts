// The relay's counters: sessions, bytes, closes by reason, drops by reason. Reasons are fixed
// strings (bounded label sets), never ids or addresses.
import type { RelayTransportKind } from './transport.js';

export interface RelayStats {
  /** Live sessions (offered or open). */
  sessions: number;
  opened: Record<RelayTransportKind, number>;
  accepted: number;
  /** relayOpen answered with relayClosed at once (unknown home, caps, clashes), by reason. */
  refusedOpens: Record<string, number>;
  bytesToHome: number;
  bytesToClient: number;
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
    refusedOpens: {},
    bytesToHome: 0,
    bytesToClient: 0,
    closes: {},
    drops: {},
  };

  opened(kind: RelayTransportKind): void {
    this.s.opened[kind]++;
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
  }
  closed(reason: string): void {
    inc(this.s.closes, reason);
  }
  drop(reason: string): void {
    inc(this.s.drops, reason);
  }

  snapshot(sessions: number): RelayStats {
    return structuredClone({ sessions, ...this.s });
  }
}
