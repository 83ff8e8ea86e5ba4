// The client's side of the device service: requests with ids, retransmitted until answered (a
// bounded number of times), a timeout per request, and pushed state changes acknowledged and
// delivered in order of arrival; a gap in the sequence triggers a full resync.
import type { Clock, TimerHandle } from '../net/types.js';
import type { MessageChannel } from '../proto/channel.js';
import { DeviceError, parseEntityState, type Command, type EntityState } from './model.js';
import { decodeRpc, encodeRpc, type Method } from './rpc-wire.js';

export interface RpcClientOptions {
  retransmitMs: number;
  maxSends: number;
  timeoutMs: number;
}

const DEFAULTS: RpcClientOptions = { retransmitMs: 300, maxSends: 6, timeoutMs: 5000 };

export class DeviceClient {
  private nextId: number;
  private pending = new Map<
    number,
    { resolve(v: unknown): void; reject(e: Error): void; timers: TimerHandle[] }
  >();
  private changeCbs = new Set<(s: EntityState) => void>();
  private lastSeq = -1;
  private closed = false;
  private readonly o: RpcClientOptions;

  constructor(
    private readonly ch: MessageChannel,
    private readonly clock: Clock,
    opts: Partial<RpcClientOptions> = {},
  ) {
    this.o = { ...DEFAULTS, ...opts };
    this.nextId = Math.floor(Math.random() * 2 ** 30);
    ch.onMessage((d) => this.onMessage(d));
  }

  private request(m: Method, p: Record<string, unknown>): Promise<unknown> {
    if (this.closed) return Promise.reject(new DeviceError('connection closed'));
    const id = this.nextId++ % 2 ** 31;
    const bytes = encodeRpc({ t: 'req', id, m, p });
    return new Promise((resolve, reject) => {
      const entry = { resolve, reject, timers: [] as TimerHandle[] };
      this.pending.set(id, entry);
      for (let i = 0; i < this.o.maxSends; i++) {
        entry.timers.push(this.clock.setTimer(i * this.o.retransmitMs, () => this.ch.send(bytes)));
      }
      entry.timers.push(
        this.clock.setTimer(this.o.timeoutMs, () => {
          this.finish(id);
          reject(new DeviceError(`the home did not answer ${m} within ${this.o.timeoutMs} ms`));
        }),
      );
    });
  }

  private finish(id: number): ReturnType<typeof this.pending.get> {
    const e = this.pending.get(id);
    e?.timers.forEach((t) => t.cancel());
    this.pending.delete(id);
    return e;
  }

  private onMessage(data: Uint8Array): void {
    const m = decodeRpc(data);
    if (!m) return;
    if (m.t === 'res') {
      const e = this.finish(m.id);
      if (!e) return; // a duplicate answer
      if (m.ok) e.resolve(m.r);
      else e.reject(new DeviceError(m.e));
    } else if (m.t === 'evt') {
      this.ch.send(encodeRpc({ t: 'ack', seq: m.seq }));
      if (m.seq <= this.lastSeq) return; // retransmitted push
      const gap = this.lastSeq >= 0 && m.seq > this.lastSeq + 1;
      this.lastSeq = m.seq;
      for (const cb of this.changeCbs) cb(m.s);
      if (gap) void this.resync();
    }
  }

  /** After a lost push: fetch everything and report it as changes. */
  private async resync(): Promise<void> {
    try {
      for (const s of await this.list()) for (const cb of this.changeCbs) cb(s);
    } catch {
      // the next push or the next resync will try again
    }
  }

  async list(): Promise<EntityState[]> {
    const out: EntityState[] = [];
    let offset: number | undefined = 0;
    for (let pages = 0; offset !== undefined && pages < 100; pages++) {
      const r = (await this.request('list', { offset })) as { items?: unknown[]; next?: unknown };
      for (const s of Array.isArray(r?.items) ? r.items : []) out.push(parseEntityState(s));
      offset = typeof r?.next === 'number' ? r.next : undefined;
    }
    return out;
  }

  async get(entityId: string): Promise<EntityState> {
    return parseEntityState(await this.request('get', { entity_id: entityId }));
  }

  async call(entityId: string, command: Command): Promise<EntityState> {
    return parseEntityState(await this.request('call', { entity_id: entityId, command }));
  }

  /** Live state changes; the first subscriber turns pushes on at the home. */
  async watch(cb: (s: EntityState) => void): Promise<void> {
    this.changeCbs.add(cb);
    if (this.changeCbs.size === 1) await this.request('sub', {});
  }

  close(): void {
    this.closed = true;
    for (const id of [...this.pending.keys()])
      this.finish(id)?.reject(new DeviceError('connection closed'));
  }
}
