// The relay's session table: sessions by id, with the counts the caps need (per client IP, per
// home) kept in step with it, so a cap check is one map lookup.
import type { Retransmitter } from '../net/retransmit.js';
import type { SocketAddr } from '../net/types.js';
import type { ClientTransport } from './transport.js';

export interface RelaySession {
  readonly id: string;
  readonly homeId: string;
  /** The home's registered mapping: the only address frames for this session go to. */
  readonly home: SocketAddr;
  readonly client: ClientTransport;
  /** The client's relayOpen tx, echoed in relayReady. */
  readonly openTx: number;
  readonly openedAt: number;
  /** 'offered': waiting for the home; 'open': the home accepted, frames flow. */
  state: 'offered' | 'open';
  offer: Retransmitter | undefined;
  bytes: number;
  lastActive: number;
}

function bump(m: Map<string, number>, key: string, by: number): void {
  const n = (m.get(key) ?? 0) + by;
  if (n <= 0) m.delete(key);
  else m.set(key, n);
}

export class SessionTable {
  private readonly byId = new Map<string, RelaySession>();
  private readonly perIp = new Map<string, number>();
  private readonly perHome = new Map<string, number>();
  /** Sessions by transport key, so a closing stream finds its own without a scan. */
  private readonly byTransport = new Map<string, Set<RelaySession>>();

  get size(): number {
    return this.byId.size;
  }

  get(id: string): RelaySession | undefined {
    return this.byId.get(id);
  }

  countForIp(ip: string): number {
    return this.perIp.get(ip) ?? 0;
  }

  countForHome(homeId: string): number {
    return this.perHome.get(homeId) ?? 0;
  }

  add(s: RelaySession): void {
    this.byId.set(s.id, s);
    bump(this.perIp, s.client.addr.ip, 1);
    bump(this.perHome, s.homeId, 1);
    const set = this.byTransport.get(s.client.key) ?? new Set<RelaySession>();
    set.add(s);
    this.byTransport.set(s.client.key, set);
  }

  delete(s: RelaySession): void {
    if (this.byId.get(s.id) !== s) return;
    this.byId.delete(s.id);
    bump(this.perIp, s.client.addr.ip, -1);
    bump(this.perHome, s.homeId, -1);
    const set = this.byTransport.get(s.client.key);
    set?.delete(s);
    if (set?.size === 0) this.byTransport.delete(s.client.key);
  }

  /** Sessions carried by one stream transport (to close them when it goes away). */
  ofTransport(key: string): RelaySession[] {
    return [...(this.byTransport.get(key) ?? [])];
  }

  values(): IterableIterator<RelaySession> {
    return this.byId.values();
  }
}
