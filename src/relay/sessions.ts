// The relay's session table: sessions by id, with the counts the caps need kept in step with it
// (docs/seams.md §8), so a cap check is one map lookup: pending (offered, not yet accepted)
// sessions per client IP; accepted sessions per (home id, client key); all sessions per home.
import type { Retransmitter } from '../net/retransmit.js';
import type { SocketAddr } from '../net/types.js';
import type { ClientTransport } from './transport.js';

export interface RelaySession {
  readonly id: string;
  readonly homeId: string;
  /** The client's Ed25519 key as its request claims it (hex, `auth[1..33]`): real once accepted. */
  readonly clientKey: string;
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

/** The client key a relayOpen's auth claims (kind byte, then the 32-byte Ed25519 key). */
export function claimedKey(auth: Uint8Array): string {
  return auth.length >= 33 ? Buffer.from(auth.subarray(1, 33)).toString('hex') : '';
}

function bump(m: Map<string, number>, key: string, by: number): void {
  const n = (m.get(key) ?? 0) + by;
  if (n <= 0) m.delete(key);
  else m.set(key, n);
}

const keyOf = (homeId: string, clientKey: string): string => `${homeId}|${clientKey}`;

export class SessionTable {
  private readonly byId = new Map<string, RelaySession>();
  private readonly pendingPerIp = new Map<string, number>();
  private readonly perKey = new Map<string, number>();
  private readonly perHome = new Map<string, number>();
  /** Sessions by transport key, so a closing stream finds its own without a scan. */
  private readonly byTransport = new Map<string, Set<RelaySession>>();

  get size(): number {
    return this.byId.size;
  }

  get(id: string): RelaySession | undefined {
    return this.byId.get(id);
  }

  pendingForIp(ip: string): number {
    return this.pendingPerIp.get(ip) ?? 0;
  }

  countForKey(homeId: string, clientKey: string): number {
    return this.perKey.get(keyOf(homeId, clientKey)) ?? 0;
  }

  countForHome(homeId: string): number {
    return this.perHome.get(homeId) ?? 0;
  }

  /** Adds an offered session (it counts against its client IP until accepted). */
  add(s: RelaySession): void {
    this.byId.set(s.id, s);
    this.count(s, 1);
    const set = this.byTransport.get(s.client.key) ?? new Set<RelaySession>();
    set.add(s);
    this.byTransport.set(s.client.key, set);
  }

  /** The home accepted: the session moves from its IP's pending count to its (home, key) count. */
  accept(s: RelaySession): void {
    if (this.byId.get(s.id) !== s || s.state === 'open') return;
    this.count(s, -1);
    s.state = 'open';
    this.count(s, 1);
  }

  delete(s: RelaySession): void {
    if (this.byId.get(s.id) !== s) return;
    this.byId.delete(s.id);
    this.count(s, -1);
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

  /** Sessions of one home (to end them when it says goodbye). */
  ofHome(homeId: string): RelaySession[] {
    if (!this.perHome.has(homeId)) return [];
    return [...this.byId.values()].filter((s) => s.homeId === homeId);
  }

  private count(s: RelaySession, by: number): void {
    if (s.state === 'offered') bump(this.pendingPerIp, s.client.addr.ip, by);
    else bump(this.perKey, keyOf(s.homeId, s.clientKey), by);
    bump(this.perHome, s.homeId, by);
  }
}
