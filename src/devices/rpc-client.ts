// The client's side of the device service: requests with ids, retransmitted until answered (a
// bounded number of times), a timeout per request, and pushed state changes acknowledged and
// delivered in order of arrival. While watching, a keepalive every few seconds asks the home for
// the number of its last push: a gap (pushes lost even after their retries) or a dropped
// subscription triggers a resubscribe and a full resync, so the client never stays stale.
import { Retransmitter } from '../net/retransmit.js';
import type { Clock, Random, TimerHandle } from '../net/types.js';
import type { MessageChannel } from '../net/channel.js';
import { DeviceError, parseEntityStateV2, type Command, type EntityState } from './model.js';
import { toHex } from '../wire/bytes.js';
import { decodeRpc, encodeRpc, type HealthWire, type Method, type RpcMessage } from './rpc-wire.js';

export interface RpcClientOptions {
  retransmitMs: number;
  /** Sends of one request on one path (a path change or a new channel gives it a fresh budget). */
  maxSends: number;
  /** How long a request itself is (re)sent: the window in which the home may apply it. */
  timeoutMs: number;
  /**
   * After that window, a `call` asks the home its fate (same run and id) until this long after it
   * was first sent: the home answers from memory (applied: the result) or says "not applied" and
   * never applies it afterwards. 0 (or ≤ timeoutMs): no asking; an unanswered request fails as
   * "did not answer". One-shot commands and the app ask until 8 s; the agent until 15 s.
   */
  resolveMs: number;
  /** A request unanswered this long makes the path suspect (`onSuspect`: probe it now). */
  suspectMs: number;
  /** Keepalive period while watching (0 = off). Also holds NAT mappings open. */
  keepaliveMs: number;
}

const DEFAULTS: RpcClientOptions = {
  retransmitMs: 300,
  maxSends: 6,
  timeoutMs: 5000,
  resolveMs: 8000,
  suspectMs: 1000,
  keepaliveMs: 10_000,
};
const MAX_PENDING = 64;
/** How the home says it forgot a request (rpc-server.ts FORGOTTEN): its fate is unknown. */
const FORGOTTEN_PREFIX = 'the home no longer remembers';
const MAX_LIST_PAGES = 100;
/** A gap in the pushes is waited out this long: past the home's retries of a push (5 × 500 ms,
 *  rpc-server.ts), then given up and caught up by a resync. */
const GAP_WAIT_MS = 3000;
/** A gap only a pong showed (no later push arrived): the home resent the missing pushes just
 *  before that pong, so they are due at once; waited out this long. */
const PONG_GAP_WAIT_MS = 500;
/** Pushes held past a gap (the home keeps at most 64 unacked). */
const MAX_EARLY = 64;

type PushMessage = Extract<RpcMessage, { t: 'evt' }>;

/** A request's end that says what happened: `notApplied` true means the home confirmed it did
 *  not apply it; `unconfirmed` means the home could not be asked (unreachable or too old). */
export class RequestError extends DeviceError {
  constructor(
    message: string,
    readonly notApplied: boolean,
    readonly unconfirmed = false,
  ) {
    super(message);
  }
}

type Pending = {
  id: number;
  m: Method;
  bytes: Uint8Array;
  /** 'apply': the request is sent; 'fate': its fate is asked. */
  phase: 'apply' | 'fate';
  resolve(v: unknown): void;
  reject(e: Error): void;
  resend: Retransmitter | undefined;
  timeout: TimerHandle;
  suspect: TimerHandle | undefined;
};

/** 64 random bits as 16 hex digits: this client's run, so ids never repeat for one client key. */
function drawRun(rng: Random): string {
  return toHex(rng.bytes(8));
}

export class DeviceClient {
  /** Names this client's requests at the home, across channels and reconnects (rpc-wire `k`). */
  readonly run: string;
  private nextId = 0;
  private ch: MessageChannel | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly changeCbs = new Set<(s: EntityState) => void>();
  private readonly healthCbs = new Set<(h: HealthWire) => void>();
  private readonly suspectCbs: Array<() => void> = [];
  /** Number of the last push delivered, in order (-1: none). */
  private lastSeq = -1;
  /** Pushes that arrived past a gap, by number: delivered once the gap fills (in order). */
  private readonly early = new Map<number, PushMessage>();
  /** The highest push number the home said it sent (a pong's `seq`). */
  private expectSeq = -1;
  /** While a gap is open: when it is given up (then a resync catches up). */
  private gapTimer: TimerHandle | undefined;
  /** Per entity, the number of the last push delivered for it: a resync's snapshot taken before
   *  it must not be shown after it (that would show an older state as current). */
  private readonly pushedAt = new Map<string, number>();
  private closed = false;
  private readonly o: RpcClientOptions;
  private keepaliveTimer: TimerHandle | undefined;
  private ping: { n: number; at: number } | undefined;
  /** Liveness pings in flight (`probe`), by their n: each ends on its pong or its timer. */
  private readonly probes = new Map<number, { timer: TimerHandle; cb: (ok: boolean) => void }>();
  private pingN = 0;
  private resyncing: Promise<void> | undefined;
  private resyncAgain = false;
  /** Last keepalive round trip, ms (undefined until one came back). */
  rttMs: number | undefined;
  /** Keepalives in a row that got no answer (a hint the path is dying). */
  missedKeepalives = 0;
  readonly stats = { resyncs: 0, pushes: 0, resent: 0 };

  constructor(
    ch: MessageChannel | undefined,
    private readonly clock: Clock,
    /** Draws the run id (64 bits, once). */
    rng: Random,
    opts: Partial<RpcClientOptions> = {},
  ) {
    this.o = { ...DEFAULTS, ...opts };
    this.run = drawRun(rng);
    if (ch) this.listen(ch);
  }

  /** A request went unanswered for `suspectMs`: whoever watches the path should probe it. */
  onSuspect(cb: () => void): void {
    this.suspectCbs.push(cb);
  }

  private listen(ch: MessageChannel): void {
    this.ch = ch;
    ch.onMessage((d) => {
      if (ch !== this.ch) return; // a channel we left
      try {
        this.onMessage(d);
      } catch {
        // a malformed or surprising message is dropped; never throw into the channel
      }
    });
  }

  /**
   * A new channel to the same home (the agent reconnected): requests in flight are re-sent on it
   * with their ids (the home applies each once), and a watch resubscribes and resyncs.
   */
  attach(ch: MessageChannel): void {
    if (this.closed) return;
    this.listen(ch);
    // The home numbers pushes per channel: start over.
    this.lastSeq = -1;
    this.expectSeq = -1;
    this.early.clear();
    this.pushedAt.clear();
    this.closeGap();
    this.ping = undefined;
    for (const e of this.pending.values()) this.transmit(e);
    if (this.changeCbs.size > 0) {
      this.resync(true);
      this.scheduleKeepalive();
    }
  }

  /**
   * One ping through the home itself (its RPC answers every ping with a pong, on any path, through
   * the secure channel): `cb(true)` on the pong within `ms`, `cb(false)` after it. The agent's
   * liveness check (a crashed home answers nothing; a relayed path has no ping of its own).
   */
  probe(ms: number, cb: (ok: boolean) => void): void {
    const n = this.pingN++ % 2 ** 31;
    const timer = this.clock.setTimer(ms, () => {
      if (this.probes.delete(n)) cb(false);
    });
    this.probes.set(n, { timer, cb });
    this.ch?.send(encodeRpc({ t: 'ping', n }));
  }

  /** Liveness pings in flight end unanswered (the link they went on is gone). */
  private endProbes(): void {
    const all = [...this.probes.values()];
    this.probes.clear();
    for (const p of all) {
      p.timer.cancel();
      p.cb(false);
    }
  }

  /** The channel is gone; requests in flight wait (their windows still run) for `attach`. */
  detach(): void {
    this.ch = undefined;
    this.endProbes();
    for (const e of this.pending.values()) {
      e.resend?.cancel();
      e.resend = undefined;
      e.suspect?.cancel();
      e.suspect = undefined;
    }
  }

  /** The channel moved onto another path: what is in flight goes again, now, with fresh budgets. */
  pathChanged(): void {
    if (this.closed || !this.ch) return;
    for (const e of this.pending.values()) this.transmit(e);
  }

  /** (Re)starts sending `e` on the current channel, and its suspicion timer. */
  private transmit(e: Pending): void {
    e.resend?.cancel();
    e.suspect?.cancel();
    e.resend = undefined;
    e.suspect = undefined;
    const ch = this.ch;
    if (!ch) return;
    let first = true;
    // Every retransmitMs (no backoff: the windows bound the request), until answered.
    e.resend = new Retransmitter(
      this.clock,
      { rtoMs: this.o.retransmitMs, maxRtoMs: this.o.retransmitMs, maxSends: this.o.maxSends },
      () => {
        if (!first) this.stats.resent++;
        first = false;
        ch.send(e.bytes);
      },
      () => undefined, // out of sends on this path: the windows below settle it
    ).start();
    if (this.o.suspectMs > 0)
      e.suspect = this.clock.setTimer(this.o.suspectMs, () => {
        e.suspect = undefined;
        if (this.pending.get(e.id) === e) for (const cb of this.suspectCbs) cb();
      });
  }

  private request(m: Method, p: Record<string, unknown>): Promise<unknown> {
    if (this.closed) return Promise.reject(new RequestError('connection closed', true));
    if (this.pending.size >= MAX_PENDING)
      return Promise.reject(
        new RequestError('too many requests in flight; wait for answers (not applied)', true),
      );
    const id = this.nextId;
    this.nextId = (this.nextId + 1) % 2 ** 31;
    let bytes: Uint8Array;
    try {
      bytes = encodeRpc({ t: 'req', id, m, p, k: this.run });
    } catch (e) {
      return Promise.reject(new RequestError((e as Error).message, true));
    }
    return new Promise((resolve, reject) => {
      const asks = m === 'call' && this.o.resolveMs > this.o.timeoutMs;
      const e: Pending = {
        id,
        m,
        bytes,
        phase: 'apply',
        resolve,
        reject,
        resend: undefined,
        suspect: undefined,
        timeout: this.clock.setTimer(this.o.timeoutMs, () => {
          if (!asks) {
            this.finish(id);
            return reject(
              new RequestError(
                `the home did not answer ${m} within ${this.o.timeoutMs} ms`,
                false,
                true,
              ),
            );
          }
          // The window to apply it is over: from now on only ask what became of it.
          e.phase = 'fate';
          e.bytes = encodeRpc({ t: 'req', id, m: 'fate', p: {}, k: this.run });
          this.transmit(e);
          e.timeout = this.clock.setTimer(this.o.resolveMs - this.o.timeoutMs, () => {
            this.finish(id);
            reject(
              new RequestError(
                `not confirmed: the home could not be reached for ${Math.round(this.o.resolveMs / 1000)} s to confirm whether ${m} was applied`,
                false,
                true,
              ),
            );
          });
        }),
      };
      this.pending.set(id, e);
      this.transmit(e);
    });
  }

  private finish(id: number): Pending | undefined {
    const e = this.pending.get(id);
    e?.resend?.cancel();
    e?.timeout.cancel();
    e?.suspect?.cancel();
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
        // An error answer from the home: the command was refused (not carried out), or "not
        // applied" for one whose fate was asked — unless the home forgot it (rpc-server.ts).
        else e.reject(new RequestError(m.e, m.na === true || !m.e.startsWith(FORGOTTEN_PREFIX)));
        return;
      }
      case 'evt': {
        this.ch?.send(encodeRpc({ t: 'ack', seq: m.seq }));
        if (m.seq <= this.lastSeq || this.changeCbs.size === 0) return; // a retransmitted push
        if (m.seq === this.lastSeq + 1) {
          this.deliver(m);
          this.drainEarly();
          return;
        }
        // Past a gap: the missing pushes are usually being resent (the home retries each for
        // 2.5 s). Hold this one and show every change in order once they arrive; a resync now
        // would show the current state and skip the changes in between.
        if (this.early.size >= MAX_EARLY) return this.giveUpGap();
        this.early.set(m.seq, m);
        this.openGap();
        return;
      }
      case 'pong':
        return this.onPong(m);
      default:
        return;
    }
  }

  private deliver(m: PushMessage): void {
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
    } else {
      this.pushedAt.set(m.s.entity_id, m.seq);
      this.emit(m.s);
    }
  }

  /** Delivers what waited for the gap that just filled; closes the gap when nothing waits. */
  private drainEarly(): void {
    for (
      let next = this.early.get(this.lastSeq + 1);
      next;
      next = this.early.get(this.lastSeq + 1)
    ) {
      this.early.delete(next.seq);
      this.deliver(next);
    }
    if (this.early.size === 0 && this.lastSeq >= this.expectSeq) this.closeGap();
  }

  private openGap(ms = GAP_WAIT_MS): void {
    this.gapTimer ??= this.clock.setTimer(ms, () => {
      this.gapTimer = undefined;
      this.giveUpGap();
    });
  }

  private closeGap(): void {
    this.gapTimer?.cancel();
    this.gapTimer = undefined;
  }

  /** The missing pushes are lost for good: show what waited, in order, then catch up. */
  private giveUpGap(): void {
    this.closeGap();
    for (const seq of [...this.early.keys()].sort((a, b) => a - b)) {
      const m = this.early.get(seq) as PushMessage;
      this.early.delete(seq);
      if (seq > this.lastSeq) this.deliver(m);
    }
    this.lastSeq = Math.max(this.lastSeq, this.expectSeq);
    this.resync();
  }

  private onPong(m: Extract<RpcMessage, { t: 'pong' }>): void {
    const probe = this.probes.get(m.n);
    if (probe) {
      this.probes.delete(m.n);
      probe.timer.cancel();
      return probe.cb(true);
    }
    if (!this.ping || m.n !== this.ping.n) return; // late or forged
    this.rttMs = this.clock.now() - this.ping.at;
    this.ping = undefined;
    this.missedKeepalives = 0;
    if (this.changeCbs.size === 0) return;
    if (!m.sub) {
      // The home stopped pushing to us: subscribe again and catch up.
      this.lastSeq = Math.max(this.lastSeq, m.seq);
      this.resync(true);
    } else if (m.seq > this.lastSeq) {
      // Pushes up to m.seq were sent; the home resends the unacked ones before its pong, so wait
      // for them as for any gap (then catch up if they are lost for good).
      this.expectSeq = Math.max(this.expectSeq, m.seq);
      this.openGap(PONG_GAP_WAIT_MS);
    }
  }

  private scheduleKeepalive(): void {
    if (this.o.keepaliveMs <= 0 || this.keepaliveTimer || this.closed) return;
    this.keepaliveTimer = this.clock.setTimer(this.o.keepaliveMs, () => {
      this.keepaliveTimer = undefined;
      if (this.closed || this.changeCbs.size === 0) return;
      if (this.ping) this.missedKeepalives++;
      this.ping = { n: this.pingN++ % 2 ** 31, at: this.clock.now() };
      this.ch?.send(encodeRpc({ t: 'ping', n: this.ping.n }));
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
        const from = this.lastSeq;
        for (const s of await this.list())
          if ((this.pushedAt.get(s.entity_id) ?? -1) <= from) this.emit(s);
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

  /** WebRTC signalling with the home (issue 18): the home's answer, unparsed. */
  rtc(p: Record<string, unknown>): Promise<unknown> {
    return this.request('rtc', p);
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
    this.closeGap();
    this.endProbes();
    for (const id of [...this.pending.keys()]) {
      const e = this.finish(id);
      // Closed while in flight: it may have reached the home (unless nothing was ever sent).
      e?.reject(new RequestError('connection closed', false, true));
    }
  }
}
