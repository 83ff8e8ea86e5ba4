// Where the rendezvous keeps registered homes. In memory for one node. The interface is
// synchronous on purpose: a home's mapping belongs to the node it registered with (its NAT
// mapping points at that node's socket), so lookups for local homes never leave the process.
// Scale-out adds a separate, asynchronous directory (Redis) to find the node owning a remote home.
import type { SocketAddr } from '../net/types.js';
import type { WireNat } from '../wire/messages.js';

export interface HomeRecord {
  readonly id: string;
  readonly addr: SocketAddr;
  /** LAN addresses the home reported, offered only to clients behind the same public IP. */
  readonly locals: SocketAddr[];
  /** The NAT class the home registered with (issue 9); absent from homes that sent none. */
  readonly nat?: WireNat;
  readonly registeredAt: number;
  expiresAt: number;
}

export interface HomeRegistry {
  get(id: string, now: number): HomeRecord | undefined;
  /** Insert or replace; false when full and `id` is new. */
  put(rec: HomeRecord): boolean;
  delete(id: string): void;
  /** Removes expired records; returns how many. */
  sweep(now: number): number;
  readonly size: number;
}

export class MemoryRegistry implements HomeRegistry {
  private readonly homes = new Map<string, HomeRecord>();
  constructor(private readonly maxHomes: number) {}

  get(id: string, now: number): HomeRecord | undefined {
    const rec = this.homes.get(id);
    if (rec && rec.expiresAt <= now) {
      this.homes.delete(id);
      return undefined;
    }
    return rec;
  }

  put(rec: HomeRecord): boolean {
    if (!this.homes.has(rec.id) && this.homes.size >= this.maxHomes) return false;
    this.homes.set(rec.id, rec);
    return true;
  }

  delete(id: string): void {
    this.homes.delete(id);
  }

  sweep(now: number): number {
    let n = 0;
    for (const [id, rec] of this.homes) {
      if (rec.expiresAt <= now) {
        this.homes.delete(id);
        n++;
      }
    }
    return n;
  }

  get size(): number {
    return this.homes.size;
  }
}
