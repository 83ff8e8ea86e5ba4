// The subscriptions every app backend offers the web server: device changes and link status.
import type { EntityState } from '../devices/model.js';

export interface LinkStatus {
  state: 'connecting' | 'connected' | 'reconnecting';
  path?: 'direct' | 'punched' | 'relayed' | 'ipv6' | 'mapped';
  rttMs?: number;
  secure?: boolean;
  home?: string;
  error?: string;
}

export abstract class LinkEvents {
  status: LinkStatus = { state: 'connecting' };
  private readonly stateCbs = new Set<(s: EntityState) => void>();
  private readonly statusCbs = new Set<(s: LinkStatus) => void>();

  onState(cb: (s: EntityState) => void): () => void {
    this.stateCbs.add(cb);
    return () => this.stateCbs.delete(cb);
  }

  onStatus(cb: (s: LinkStatus) => void): () => void {
    this.statusCbs.add(cb);
    return () => this.statusCbs.delete(cb);
  }

  protected emitState(s: EntityState): void {
    for (const cb of this.stateCbs) cb(s);
  }

  protected setStatus(s: LinkStatus): void {
    this.status = s;
    for (const cb of this.statusCbs) cb(s);
  }
}
