// The home's device service on one client's channel: answers requests, suppresses duplicates
// (a retransmitted `toggle` is answered from the cache, never executed twice), and pushes state
// changes to a subscribed client until it acknowledges them.
import type { Clock, TimerHandle } from '../net/types.js';
import type { MessageChannel } from '../proto/channel.js';
import {
  checkSupported,
  DeviceError,
  parseCommand,
  parseEntityId,
  type DeviceSource,
  type EntityState,
} from './model.js';
import { decodeRpc, encodeRpc, MAX_RPC, type RpcMessage } from './rpc-wire.js';

const RESPONSE_CACHE = 256;
const PUSH_RETRY_MS = 500;
const PUSH_MAX_SENDS = 5;
const MAX_UNACKED = 64;

export interface RpcServerStats {
  requests: number;
  duplicates: number;
  dropped: number;
}

export function serveDevices(
  ch: MessageChannel,
  source: DeviceSource,
  clock: Clock,
): { close(): void; stats: RpcServerStats } {
  const stats: RpcServerStats = { requests: 0, duplicates: 0, dropped: 0 };
  /** Response (or "in progress") by request id, bounded, oldest evicted first. */
  const answered = new Map<number, Uint8Array | 'pending'>();
  let seq = 0;
  const unacked = new Map<number, { bytes: Uint8Array; sends: number; timer: TimerHandle }>();
  let unsubscribe: (() => void) | undefined;
  let closed = false;

  const send = (m: RpcMessage): Uint8Array => {
    const b = encodeRpc(m);
    if (!closed) ch.send(b);
    return b;
  };

  const respond = (id: number, r: { ok: true; r: unknown } | { ok: false; e: string }): void => {
    const bytes = send(
      r.ok ? { t: 'res', id, ok: true, r: r.r } : { t: 'res', id, ok: false, e: r.e },
    );
    answered.set(id, bytes);
    while (answered.size > RESPONSE_CACHE) answered.delete(answered.keys().next().value as number);
  };

  const push = (s: EntityState): void => {
    if (unacked.size >= MAX_UNACKED) {
      // The client is gone or far behind: stop pushing; it resyncs with `list` on reconnect.
      unsubscribe?.();
      unsubscribe = undefined;
      return;
    }
    const n = seq++;
    const bytes = encodeRpc({ t: 'evt', seq: n, s });
    const entry = { bytes, sends: 0, timer: undefined as unknown as TimerHandle };
    const fire = (): void => {
      if (closed || !unacked.has(n)) return;
      if (entry.sends++ >= PUSH_MAX_SENDS) return void unacked.delete(n);
      ch.send(bytes);
      entry.timer = clock.setTimer(PUSH_RETRY_MS, fire);
    };
    unacked.set(n, entry);
    fire();
  };

  /** Splits the device list into pages that each fit one datagram. */
  const page = (offset: number): { items: EntityState[]; next?: number } => {
    const all = source.list();
    const items: EntityState[] = [];
    let i = offset;
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
    if (items.length === 0 && i < all.length)
      throw new DeviceError(`${all[i]?.entity_id} is too large to send`);
    return i < all.length ? { items, next: i } : { items };
  };

  const handle = async (m: Extract<RpcMessage, { t: 'req' }>): Promise<unknown> => {
    switch (m.m) {
      case 'list':
        return page(Number.isInteger(m.p.offset) ? (m.p.offset as number) : 0);
      case 'get': {
        const id = String(m.p.entity_id);
        parseEntityId(id);
        const s = source.get(id);
        if (!s) throw new DeviceError(`no such entity: ${id}`);
        return s;
      }
      case 'call': {
        const id = String(m.p.entity_id);
        parseEntityId(id);
        const cmd = parseCommand(m.p.command);
        checkSupported(id, cmd);
        return source.execute(id, cmd);
      }
      case 'sub':
        unsubscribe ??= source.subscribe(push);
        return { subscribed: true };
      case 'unsub':
        unsubscribe?.();
        unsubscribe = undefined;
        return { subscribed: false };
    }
  };

  ch.onMessage((data) => {
    const m = decodeRpc(data);
    if (!m) return void stats.dropped++;
    if (m.t === 'ack') {
      const e = unacked.get(m.seq);
      e?.timer.cancel();
      unacked.delete(m.seq);
      return;
    }
    if (m.t !== 'req') return void stats.dropped++;
    const prior = answered.get(m.id);
    if (prior !== undefined) {
      stats.duplicates++;
      if (prior !== 'pending') ch.send(prior); // the answer was lost: same answer again
      return;
    }
    stats.requests++;
    answered.set(m.id, 'pending');
    handle(m).then(
      (r) => respond(m.id, { ok: true, r }),
      (e: unknown) =>
        respond(m.id, { ok: false, e: e instanceof DeviceError ? e.message : 'internal error' }),
    );
  });

  return {
    stats,
    close() {
      closed = true;
      unsubscribe?.();
      for (const e of unacked.values()) e.timer?.cancel();
    },
  };
}
