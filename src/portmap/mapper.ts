// PortMapper: gets the home a verified UDP mapping of its port from the router and keeps it.
//
// Order: PCP, then NAT-PMP, then UPnP-IGD, each with a short head start (500 ms) over the next
// rather than strictly one after the other: a router that does not speak PCP usually says
// nothing at all (no ICMP reaches an unconnected socket), so waiting out each protocol's full
// retransmission budget would cost seconds per protocol. A healthy router answers its first
// protocol within milliseconds, so normally only one request is ever sent. UPnP's slow SSDP
// discovery (a multicast search, then an HTTP fetch) starts at once (`prepare`).
//
// A granted mapping is advertised only if it is believable: its external address must be public,
// match what the rendezvous observes, and pass the injected `verify` (a packet through it reaches
// the home). Otherwise the router is behind another NAT ("double NAT") and the mapping is deleted.
import type { Env, SocketAddr, TimerHandle } from '../net/types.js';
import { formatAddr, sameAddr } from '../wire/addr.js';
import { isNonPublicIpv4 } from './ipv4.js';
import type { Mapping, PortMapClient, PortmapStatus } from './types.js';

export interface PortMapperOptions {
  readonly env: Env;
  /** The home's bound UDP port. */
  readonly internalPort: number;
  /** Protocol clients in the order to try them. */
  readonly clients: readonly PortMapClient[];
  /** Lease to ask for, seconds (default 2 hours); renewed at half the granted lifetime. */
  readonly lifetimeS?: number;
  /** Does a packet sent to `external` really reach the home? (through the rendezvous) */
  readonly verify?: (external: SocketAddr) => Promise<boolean>;
  /** The home's public IP as the rendezvous observes it, when known. */
  readonly observedIp?: () => string | undefined;
  readonly onChange?: (s: PortmapStatus) => void;
  /** Renewal attempts before giving the mapping up (default 3), first backoff ms (default 2000). */
  readonly renewTries?: number;
  readonly renewBackoffMs?: number;
  /** After 'unavailable' or 'failed', probe again after this long, ms (default 5 minutes). */
  readonly reprobeMs?: number;
  /** The reason to report when `clients` is empty (default 'no protocol enabled'). */
  readonly noClients?: string;
  /** Head start of each protocol over the next, ms (default 500). */
  readonly headStartMs?: number;
  /** Bound on `close()` (the delete request), ms (default 3000). */
  readonly closeMs?: number;
}

export class PortMapper {
  private current: { client: PortMapClient; mapping: Mapping } | undefined;
  private timer: TimerHandle | undefined;
  private busy: Promise<void> = Promise.resolve();
  private readonly stragglers = new Set<Promise<void>>();
  private closed = false;
  private last: PortmapStatus = { state: 'off' };

  constructor(private readonly o: PortMapperOptions) {}

  get status(): PortmapStatus {
    return this.last;
  }

  /** Starts probing; state changes go to `onChange`. */
  start(): void {
    if (this.closed) return;
    for (const c of this.o.clients) c.prepare?.();
    this.run(() => this.probe());
  }

  /** Deletes the mapping (bounded by `closeMs`) and stops. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    const work = this.busy.then(async () => {
      const cur = this.current;
      this.current = undefined;
      if (cur) await cur.client.unmap(cur.mapping);
      await Promise.all([...this.stragglers]);
    });
    await new Promise<void>((resolve) => {
      const t = this.o.env.clock.setTimer(this.o.closeMs ?? 3000, resolve);
      void work.then(() => (t.cancel(), resolve()));
    });
    for (const c of this.o.clients) c.close();
    this.emit({ state: 'off' });
  }

  /** Serialises the mapper's steps: one exchange with the router at a time. */
  private run(step: () => Promise<void>): void {
    this.busy = this.busy
      .then(() => (this.closed ? undefined : step()))
      .catch((e: unknown) => {
        this.o.env.log.error({ err: String(e) }, 'portmap: unexpected error');
      });
  }

  private emit(s: PortmapStatus): void {
    this.last = s;
    this.o.env.log.info(
      { portmap: { ...s, external: s.external && formatAddr(s.external) } },
      'portmap',
    );
    this.o.onChange?.(s);
  }

  private schedule(ms: number, step: () => Promise<void>): void {
    this.timer?.cancel();
    this.timer = this.o.env.clock.setTimer(ms, () => this.run(step));
  }

  private async probe(): Promise<void> {
    this.emit({ state: 'probing' });
    const r = await this.race();
    if (this.closed) {
      if (r.ok) this.current = r; // close() deletes it
      return;
    }
    if (r.ok) return this.adopt(r.client, r.mapping);
    this.emit({
      state: 'unavailable',
      reason: r.why || (this.o.noClients ?? 'no protocol enabled'),
    });
    this.schedule(this.o.reprobeMs ?? 300_000, () => this.probe());
  }

  /**
   * Asks the clients in order; each starts when the one before it has failed or after the head
   * start, whichever comes first. The first mapping granted wins. A later one from another
   * protocol is deleted unless it is the very same external address (one server speaking both
   * PCP and NAT-PMP holds one rule for the port; deleting it would delete the winner's).
   */
  private race(): Promise<
    { ok: true; client: PortMapClient; mapping: Mapping } | { ok: false; why: string }
  > {
    const port = this.o.internalPort;
    const req = { internalPort: port, externalPort: port, lifetimeS: this.o.lifetimeS ?? 7200 };
    const clients = this.o.clients;
    const head = this.o.headStartMs ?? 500;
    return new Promise((resolve) => {
      let winner: Mapping | undefined;
      let next = 0;
      let pending = 0;
      let timer: TimerHandle | undefined;
      const why: string[] = [];
      const startNext = (): void => {
        timer?.cancel();
        const client = clients[next++];
        if (!client || winner || this.closed) {
          if (pending === 0 && !winner) resolve({ ok: false, why: why.join('; ') });
          return;
        }
        pending++;
        timer = this.o.env.clock.setTimer(head, startNext);
        void client.map(req).then((r) => {
          pending--;
          if (r.ok && !winner) {
            winner = r.mapping;
            timer?.cancel();
            resolve({ ok: true, client, mapping: r.mapping });
          } else if (r.ok) {
            const same = sameAddr(r.mapping.external, winner?.external ?? r.mapping.external);
            if (!same || this.closed) this.straggle(client.unmap(r.mapping));
          } else {
            why.push(`${client.protocol}: ${r.reason}`);
            if (!winner) startNext();
          }
        });
      };
      startNext();
    });
  }

  /** Deletes of losing mappings still in flight; `close()` waits for them too (bounded). */
  private straggle(p: Promise<void>): void {
    this.stragglers.add(p);
    void p.finally(() => this.stragglers.delete(p));
  }

  /** Why `m` must not be advertised, or undefined if it checks out. */
  private async doubt(m: Mapping): Promise<string | undefined> {
    const ip = m.external.ip;
    if (isNonPublicIpv4(ip)) return `double NAT: the router's external address ${ip} is not public`;
    const seen = this.o.observedIp?.();
    if (seen !== undefined && seen !== ip) {
      return `double NAT: the router says ${ip}, the rendezvous sees ${seen}`;
    }
    const ok = this.o.verify ? await this.o.verify(m.external).catch(() => false) : true;
    return ok
      ? undefined
      : `unverified: nothing sent to ${formatAddr(m.external)} reached the home`;
  }

  private async adopt(client: PortMapClient, m: Mapping): Promise<void> {
    this.current = { client, mapping: m };
    const doubt = await this.doubt(m);
    if (this.closed) return;
    if (doubt) {
      this.current = undefined;
      await client.unmap(m);
      this.emit({ state: 'unavailable', protocol: m.protocol, reason: doubt });
      this.schedule(this.o.reprobeMs ?? 300_000, () => this.probe());
      return;
    }
    this.emit({
      state: 'mapped',
      protocol: m.protocol,
      external: m.external,
      lifetimeS: m.lifetimeS,
    });
    this.schedule(renewDelayMs(m.lifetimeS), () => this.renew(0));
  }

  private async renew(attempt: number): Promise<void> {
    const cur = this.current;
    if (!cur) return;
    const { client, mapping } = cur;
    const r = await client.map({
      internalPort: mapping.internalPort,
      externalPort: mapping.external.port,
      lifetimeS: this.o.lifetimeS ?? 7200,
    });
    if (this.closed) return;
    if (r.ok) {
      const moved =
        r.mapping.external.ip !== mapping.external.ip ||
        r.mapping.external.port !== mapping.external.port;
      if (moved) return this.adopt(client, r.mapping); // re-verify the new address
      this.current = { client, mapping: r.mapping };
      if (r.mapping.lifetimeS !== mapping.lifetimeS) {
        this.emit({ ...this.last, lifetimeS: r.mapping.lifetimeS });
      }
      this.schedule(renewDelayMs(r.mapping.lifetimeS), () => this.renew(0));
      return;
    }
    const tries = this.o.renewTries ?? 3;
    if (attempt + 1 < tries) {
      const backoff = (this.o.renewBackoffMs ?? 2000) * 2 ** attempt;
      this.schedule(backoff, () => this.renew(attempt + 1));
      return;
    }
    this.current = undefined;
    this.emit({ state: 'failed', protocol: mapping.protocol, reason: `renewal: ${r.reason}` });
    this.schedule(this.o.reprobeMs ?? 300_000, () => this.probe());
  }
}

/** Renew at half the granted lifetime (RFC 6886 §3.3 / RFC 6887 §11.2.1 suggest about that). */
export function renewDelayMs(lifetimeS: number): number {
  return Math.max(1000, Math.floor((lifetimeS * 1000) / 2));
}
