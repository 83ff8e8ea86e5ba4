// The home's device service on one client's channel: answers requests, suppresses duplicates
// (a retransmitted `toggle` is answered from the cache, never executed twice — across channels
// too when the client names its run and the home knows the client's key: request-memory.ts), pushes state
// changes to a subscribed client until it acknowledges them, and answers keepalives with the
// number of its last push so a client that lost pushes can resync.
import { Retransmitter } from '../net/retransmit.js';
import type { Clock } from '../net/types.js';
import type { MessageChannel } from '../net/channel.js';
import { RateLimiter } from '../util/rate-limit.js';
import {
  DeviceError,
  isV1EntityId,
  parseAnyEntityId,
  parseCommand,
  parseEntityId,
  type DeviceSource,
  type EntityState,
  type SourceHealth,
} from './model.js';
import { RequestMemory, type Remembered } from './request-memory.js';
import {
  decodeRpc,
  encodeRpc,
  fitState,
  MAX_RPC,
  wireVersion,
  type RpcMessage,
} from './rpc-wire.js';

/** Answers kept for retransmitted requests: at most this many, for at most this long. A client
 *  gives up on a request after a few seconds, so a minute covers every retransmission. */
const RESPONSE_CACHE = 256;
const RESPONSE_TTL_MS = 60_000;
const PUSH_RETRY_MS = 500;
const PUSH_MAX_SENDS = 5;
const MAX_UNACKED = 64;
/** New requests per client channel; a dashboard's slider drag stays far below this. Requests
 *  over it are dropped unanswered: the client's retransmission tries again a moment later. */
const REQUESTS_PER_SEC = 50;
const REQUEST_BURST = 100;

export interface RpcServerStats {
  requests: number;
  duplicates: number;
  dropped: number;
  /** Requests whose answer was too large for one message (answered with an error instead). */
  oversize: number;
  /** New requests dropped for going over the rate limit. */
  limited: number;
}

type Answer = Remembered;

/** The home's memory shared by all channels, and who is on this one (the Noise static key). */
export interface SharedRequests {
  memory: RequestMemory;
  client: string;
}

export const NOT_APPLIED = 'not applied: the command did not reach the home in time';
/** The answer to a request pushed out of a full memory (it may have been applied before). */
export const FORGOTTEN = 'the home no longer remembers this request: not applied again';

export function serveDevices(
  ch: MessageChannel,
  source: DeviceSource,
  clock: Clock,
  shared?: SharedRequests,
  /** The `rtc` call (WebRTC signalling, home/webrtc.ts); absent: answered with an error. */
  rtc?: (p: Record<string, unknown>) => Promise<unknown>,
): { close(): void; stats: RpcServerStats } {
  const stats: RpcServerStats = {
    requests: 0,
    duplicates: 0,
    dropped: 0,
    oversize: 0,
    limited: 0,
  };
  /** Response (or "in progress") by run and request id, oldest first (Map keeps insertion order). */
  const answered = new Map<string, Answer>();
  /** Number of the last push (-1: none yet); pongs carry it. */
  let seq = -1;
  const unacked = new Map<number, { resend: Retransmitter; bytes: Uint8Array }>();
  let unsubscribe: (() => void) | undefined;
  /** The wire version the client subscribed with (v1: older client, never sent what it can't read). */
  let subV: 1 | 2 = 1;
  let closed = false;
  const limiter = new RateLimiter({
    ratePerSec: REQUESTS_PER_SEC,
    burst: REQUEST_BURST,
    maxKeys: 1,
  });

  const send = (bytes: Uint8Array): void => {
    if (!closed) ch.send(bytes);
  };

  const forget = (now: number): void => {
    for (const [id, a] of answered) {
      if (answered.size <= RESPONSE_CACHE && now - a.at < RESPONSE_TTL_MS) break;
      answered.delete(id);
    }
  };

  type Req = Extract<RpcMessage, { t: 'req' }>;
  /** Across channels when the client names its run (and we know its key), else this channel's. */
  const lookup = (m: Req, now: number): Answer | 'forgotten' | undefined =>
    shared && m.k !== undefined
      ? shared.memory.get(shared.client, m.k, m.id, now)
      : answered.get(`${m.k ?? '-'}:${m.id}`);
  const remember = (m: Req, a: Answer): void => {
    if (shared && m.k !== undefined) shared.memory.set(shared.client, m.k, m.id, a);
    else answered.set(`${m.k ?? '-'}:${m.id}`, a);
  };

  const respond = (
    m: Req,
    r: { ok: true; r: unknown } | { ok: false; e: string; na?: true },
  ): void => {
    const id = m.id;
    let bytes: Uint8Array;
    try {
      bytes = encodeRpc(
        r.ok
          ? { t: 'res', id, ok: true, r: r.r }
          : { t: 'res', id, ok: false, e: r.e.slice(0, 300), ...(r.na ? { na: true } : {}) },
      );
    } catch {
      stats.oversize++;
      bytes = encodeRpc({ t: 'res', id, ok: false, e: 'the answer is too large for one message' });
    }
    remember(m, { at: clock.now(), bytes });
    send(bytes);
  };

  const stopPushing = (): void => {
    unsubscribe?.();
    unsubscribe = undefined;
    for (const u of unacked.values()) u.resend.cancel();
    unacked.clear();
  };

  const push = (s: EntityState | { health: SourceHealth }): void => {
    if (closed) return;
    if ('health' in s) {
      if (subV === 1) return;
    } else if (subV === 1 && (s.stale || !isV1EntityId(s.entity_id))) return;
    if (unacked.size >= MAX_UNACKED) {
      // The client is gone or far behind: stop pushing. Its next keepalive learns it is no
      // longer subscribed and resubscribes with a full resync.
      return stopPushing();
    }
    const n = ++seq;
    const bytes = encodeRpc(
      'health' in s
        ? {
            t: 'evt',
            seq: n,
            h: {
              live: s.health.live,
              ...(s.health.error ? { error: s.health.error.slice(0, 300) } : {}),
            },
          }
        : { t: 'evt', seq: n, s: fitState(s, subV) },
    );
    const resend = new Retransmitter(
      clock,
      { rtoMs: PUSH_RETRY_MS, maxRtoMs: PUSH_RETRY_MS, maxSends: PUSH_MAX_SENDS },
      () => send(bytes),
      () => void unacked.delete(n),
    );
    unacked.set(n, { resend, bytes });
    resend.start();
  };

  /** Splits the device list into pages that each fit one message. */
  const page = (offset: number, v: 1 | 2): { items: EntityState[]; next?: number } => {
    const all = source
      .list()
      .filter((s) => v === 2 || isV1EntityId(s.entity_id))
      .map((s) => fitState(s, v));
    const items: EntityState[] = [];
    let i = Math.max(0, offset);
    for (; i < all.length; i++) {
      const trial = JSON.stringify({
        t: 'res',
        id: 2 ** 31 - 1,
        ok: true,
        r: { items: [...items, all[i]], next: i + 1 },
      });
      if (Buffer.byteLength(trial) > MAX_RPC) break;
      items.push(all[i] as EntityState);
    }
    // fitState leaves room for this envelope; should an entity still not fit, skip it rather
    // than send a page that makes no progress.
    if (items.length === 0 && i < all.length) i++;
    return i < all.length ? { items, next: i } : { items };
  };

  /** An older client cannot tell a stale state from a current one: it gets an error instead. */
  const liveForV1 = (v: 1 | 2): void => {
    const h = source.health?.();
    if (v === 1 && h && !h.live)
      throw new DeviceError(`the home's device source is unreachable: ${h.error ?? 'unknown'}`);
  };

  const handle = async (m: Extract<RpcMessage, { t: 'req' }>): Promise<unknown> => {
    const v = wireVersion(m.p);
    const checkId = (id: string): void => void (v === 1 ? parseEntityId(id) : parseAnyEntityId(id));
    switch (m.m) {
      case 'list':
        liveForV1(v);
        return page(Number.isInteger(m.p.offset) ? (m.p.offset as number) : 0, v);
      case 'get': {
        const id = String(m.p.entity_id);
        checkId(id);
        liveForV1(v);
        const s = source.get(id);
        if (!s) throw new DeviceError(`no such entity: ${id}`);
        return fitState(s, v);
      }
      case 'call': {
        const id = String(m.p.entity_id);
        checkId(id);
        const cmd = parseCommand(m.p.command);
        // Each source checks what its entities support (Home Assistant's go beyond the 7 domains).
        return fitState(await source.execute(id, cmd), v);
      }
      case 'sub':
        if (!unsubscribe) {
          subV = v;
          const offState = source.subscribe(push);
          const offHealth = source.onHealth?.((h) => push({ health: h }));
          unsubscribe = () => {
            offState();
            offHealth?.();
          };
        }
        return { subscribed: true, seq }; // pushes from now on are numbered above seq
      case 'unsub':
        stopPushing();
        return { subscribed: false };
      case 'rtc':
        if (!rtc) throw new DeviceError('this home has no WebRTC');
        return rtc(m.p).catch((e: Error) => {
          throw new DeviceError(e.message.slice(0, 200));
        });
      case 'fate':
        throw new DeviceError(
          'fate asks about a request: it needs the run (k) on a secure channel',
        );
    }
  };

  const onMessage = (data: Uint8Array): void => {
    const m = decodeRpc(data);
    if (!m) return void stats.dropped++;
    switch (m.t) {
      case 'ack': {
        unacked.get(m.seq)?.resend.ack();
        unacked.delete(m.seq);
        return;
      }
      case 'ping':
        // The path works now (perhaps again, from a new address): re-send the pushes still
        // unacked first, so the pong (which carries the last push's number) never overtakes
        // one and makes the client resync what it is about to receive.
        for (const u of unacked.values()) send(u.bytes);
        return send(encodeRpc({ t: 'pong', n: m.n, seq, sub: unsubscribe !== undefined }));
      case 'req':
        break;
      default:
        return void stats.dropped++;
    }
    const now = clock.now();
    forget(now);
    const prior = lookup(m, now);
    if (prior === 'forgotten') {
      // Pushed out of a full memory: it may have been applied; it is not applied again.
      stats.duplicates++;
      return send(encodeRpc({ t: 'res', id: m.id, ok: false, e: FORGOTTEN }));
    }
    if (prior !== undefined) {
      stats.duplicates++;
      if (prior.bytes !== 'pending') send(prior.bytes); // the answer was lost: same answer again
      return;
    }
    if (!limiter.take('requests', now)) return void stats.limited++;
    if (m.m === 'fate' && shared && m.k !== undefined) {
      // Never seen: it is not applied, and from now on never will be (this answer is remembered).
      return respond(m, { ok: false, e: NOT_APPLIED, na: true });
    }
    stats.requests++;
    remember(m, { at: now, bytes: 'pending' });
    handle(m).then(
      (r) => respond(m, { ok: true, r }),
      (e: unknown) =>
        respond(m, { ok: false, e: e instanceof DeviceError ? e.message : 'internal error' }),
    );
  };

  ch.onMessage((data) => {
    try {
      onMessage(data);
    } catch {
      stats.dropped++; // never throw into the channel's datagram handler
    }
  });

  return {
    stats,
    close() {
      closed = true;
      stopPushing();
    },
  };
}
