// The client's side of the device service: requests with ids, retransmitted until answered (a
// bounded number of times), a timeout per request, and pushed state changes acknowledged and
// delivered in order of arrival. While watching, a keepalive every few seconds asks the home for
// the number of its last push: a gap (pushes lost even after their retries) or a dropped
// subscription triggers a resubscribe and a full resync, so the client never stays stale.
import { Retransmitter } from '../net/retransmit.js';
import type { Clock, Random, TimerHandle } from '../net/types.js';
import type { MessageChannel } from '../net/channel.js';
import { DeviceError, parseEntityStateV2, type Command, type EntityState } from './model.js';
import { decodeRpc, encodeRpc, type HealthWire, type Method, type RpcMessage } from './rpc-wire.js';

export interface RpcClientOptions {
  retransmitMs: number;
  maxSends: number;
  timeoutMs: number;
  /** Keepalive period while watching (0 = off). Also holds NAT mappings open. */
  keepaliveMs: number;
}

const DEFAULTS: RpcClientOptions = {
  retransmitMs: 300,
  maxSends: 6,
  timeoutMs: 5000,
  keepaliveMs: 10_000,
};
const MAX_PENDING = 64;
const MAX_LIST_PAGES = 100;

type Pending = {
  resolve(v: unknown): void;
  reject(e: Error): void;
  resend: Retransmitter;
  timeout: TimerHandle;
};

export class DeviceClient {
  private nextId: number;
  private readonly pending = new Map<number, Pending>();
  private readonly changeCbs = new Set<(s: EntityState) => void>();
  private readonly healthCbs = new Set<(h: HealthWire) => void>();
  /** Number of the last push seen (-1: none). */
  private lastSeq = -1;
  private closed = false;
  private readonly o: RpcClientOptions;
  private keepaliveTimer: TimerHandle | undefined;
  private ping: { n: number; at: number } | undefined;
  private pingN = 0;
  private resyncing: Promise<void> | undefined;
  private resyncAgain = false;
  /** Last keepalive round trip, ms (undefined until one came back). */
  rttMs: number | undefined;
  /** Keepalives in a row that got no answer (a hint the path is dying). */
  missedKeepalives = 0;
  readonly stats = { resyncs: 0, pushes: 0 };

  constructor(
    private readonly ch: MessageChannel,
    private readonly clock: Clock,
    /** Draws the first request id (ids need only differ from a previous client's on the channel). */
    rng: Random,
    opts: Partial<RpcClientOptions> = {},
  ) {
    this.o = { ...DEFAULTS, ...opts };
    this.nextId = rng.int(2 ** 30);
    ch.onMessage((d) => {
      try {
        this.onMessage(d);
      } catch {
        // a malformed or surprising message is dropped; never throw into the channel
      }
    });
  }

  private request(m: Method, p: Record<string, unknown>): Promise<unknown> {
    if (this.closed) return Promise.reject(new DeviceError('connection closed'));
    if (this.pending.size >= MAX_PENDING)
      return Promise.reject(new DeviceError('too many requests in flight; wait for answers'));
    const id = this.nextId++ % 2 ** 31;
    let bytes: Uint8Array;
    try {
      bytes = encodeRpc({ t: 'req', id, m, p });
    } catch (e) {
      return Promise.reject(new DeviceError((e as Error).message));
    }
    return new Promise((resolve, reject) => {
      // Every retransmitMs (no backoff: the timeout bounds the request), until answered.
      const resend = new Retransmitter(
        this.clock,
        { rtoMs: this.o.retransmitMs, maxRtoMs: this.o.retransmitMs, maxSends: this.o.maxSends },
        () => this.ch.send(bytes),
        () => undefined, // out of sends: the timeout below settles it
      );
      const timeout = this.clock.setTimer(this.o.timeoutMs, () => {
        this.finish(id);
        reject(new DeviceError(`the home did not answer ${m} within ${this.o.timeoutMs} ms`));
      });
      this.pending.set(id, { resolve, reject, resend, timeout });
      resend.start();
    });
  }

  private finish(id: number): Pending | undefined {
    const e = this.pending.get(id);
    e?.resend.cancel();
    e?.timeout.cancel();
    this.pending.delete(id);
    return e;
  }

  private emit(s: EntityState): void {
    for (const cb of this.changeCbs) {
      try {
        cb(s);
      } catch {
        // one broken listener must not stop the others or the channel
      }
    }
  }

  private onMessage(data: Uint8Array): void {
    const m = decodeRpc(data);
    if (!m) return;
    switch (m.t) {
      case 'res': {
        const e = this.finish(m.id);
        if (!e) return; // a duplicate answer
        if (m.ok) e.resolve(m.r);
        else e.reject(new DeviceError(m.e));
        return;
      }
      case 'evt': {
        this.ch.send(encodeRpc({ t: 'ack', seq: m.seq }));
        if (m.seq <= this.lastSeq || this.changeCbs.size === 0) return; // a retransmitted push
        const gap = m.seq > this.lastSeq + 1;
        this.lastSeq = m.seq;
        this.stats.pushes++;
        if ('h' in m) {
          for (const cb of this.healthCbs) {
            try {
              cb(m.h);
            } catch {
              // one broken listener must not stop the others
            }
          }
        } else this.emit(m.s);
        if (gap) this.resync();
        return;
      }
      case 'pong':
        return this.onPong(m);
      default:
        return;
    }
  }

  private onPong(m: Extract<RpcMessage, { t: 'pong' }>): void {
    if (!this.ping || m.n !== this.ping.n) return; // late or forged
    this.rttMs = this.clock.now() - this.ping.at;
    this.ping = undefined;
    this.missedKeepalives = 0;
    if (this.changeCbs.size === 0) return;
    if (!m.sub || m.seq > this.lastSeq) {
      // Pushes were lost for good, or the home stopped pushing to us: catch up.
      this.lastSeq = Math.max(this.lastSeq, m.seq);
      this.resync(!m.sub);
    }
  }

  private scheduleKeepalive(): void {
    if (this.o.keepaliveMs <= 0 || this.keepaliveTimer || this.closed) return;
    this.keepaliveTimer = this.clock.setTimer(this.o.keepaliveMs, () => {
      this.keepaliveTimer = undefined;
      if (this.closed || this.changeCbs.size === 0) return;
      if (this.ping) this.missedKeepalives++;
      this.ping = { n: this.pingN++ % 2 ** 31, at: this.clock.now() };
      this.ch.send(encodeRpc({ t: 'ping', n: this.ping.n }));
      this.scheduleKeepalive();
    });
  }

  /** Fetch everything (resubscribing first if asked) and report it as changes. One at a time. */
  private resync(resubscribe = false): void {
    if (this.resyncing) {
      this.resyncAgain = true;
      return;
    }
    this.stats.resyncs++;
    this.resyncing = (async () => {
      try {
        if (resubscribe) await this.subscribe();
        for (const s of await this.list()) this.emit(s);
      } catch {
        // the next keepalive notices again and retries
      }
    })().finally(() => {
      this.resyncing = undefined;
      if (this.resyncAgain && !this.closed) {
        this.resyncAgain = false;
        this.resync();
      }
    });
  }

  private async subscribe(): Promise<void> {
    const r = (await this.request('sub', { v: 2 })) as { seq?: unknown } | undefined;
    if (typeof r?.seq === 'number') this.lastSeq = Math.max(this.lastSeq, r.seq);
  }

  async list(): Promise<EntityState[]> {
    const out: EntityState[] = [];
    let offset: number | undefined = 0;
    for (let pages = 0; offset !== undefined && pages < MAX_LIST_PAGES; pages++) {
      const r = (await this.request('list', { offset, v: 2 })) as {
        items?: unknown[];
        next?: unknown;
      };
      for (const s of Array.isArray(r?.items) ? r.items : []) out.push(parseEntityStateV2(s));
      offset = typeof r?.next === 'number' && r.next > offset ? r.next : undefined;
    }
    return out;
  }

  async get(entityId: string): Promise<EntityState> {
    return parseEntityStateV2(await this.request('get', { entity_id: entityId, v: 2 }));
  }

  async call(entityId: string, command: Command): Promise<EntityState> {
    return parseEntityStateV2(await this.request('call', { entity_id: entityId, command, v: 2 }));
  }

  /** Source health pushes (wire v2: a Home Assistant source going stale and live again); they
   *  arrive while watching. Returns the unsubscribe function. */
  onHealth(cb: (h: HealthWire) => void): () => void {
    this.healthCbs.add(cb);
    return () => void this.healthCbs.delete(cb);
  }

  /** Live state changes; the first watcher turns pushes (and keepalives) on at the home. */
  async watch(cb: (s: EntityState) => void): Promise<void> {
    this.changeCbs.add(cb);
    if (this.changeCbs.size === 1) {
      await this.subscribe();
      this.scheduleKeepalive();
    }
  }

  /** Stops one watcher; the last one turns pushes off at the home. */
  async unwatch(cb: (s: EntityState) => void): Promise<void> {
    if (!this.changeCbs.delete(cb) || this.changeCbs.size > 0) return;
    this.keepaliveTimer?.cancel();
    this.keepaliveTimer = undefined;
    await this.request('unsub', {});
  }

  close(): void {
    this.closed = true;
    this.keepaliveTimer?.cancel();
    for (const id of [...this.pending.keys()])
      this.finish(id)?.reject(new DeviceError('connection closed'));
  }
}
