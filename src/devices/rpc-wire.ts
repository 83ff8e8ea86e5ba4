// The remote-procedure messages between a client and the home's device service: compact JSON,
// at most MAX_RPC bytes each (one datagram, encrypted or not), parsed strictly.
// Wire v2 (issue 20): a client that sends `v: 2` in a request's params (list, get, call, sub) is
// answered with v2 states — any domain, area, stale mark, list attributes — and, subscribed with
// v2, also gets health pushes. An older client never sends `v`, so it only ever receives what its
// strict decoder (parseEntityState: 7 domains, scalar attributes) accepts; an older home ignores
// `v` and answers v1, which the v2 decoder reads as well.
import { fromUtf8, utf8, utf8Length } from '../wire/bytes.js';
import { DeviceError, parseEntityStateV2, type EntityState } from './model.js';

/** Fits a secure-channel datagram (1,024 bytes of plaintext) with room to spare. */
export const MAX_RPC = 1000;

/** `fate` (issue 21): "did you apply request `id` of run `k`?" — answered from the home's memory
 *  (the original answer), else "not applied" (and the home will never apply it afterwards). An
 *  older home drops it unanswered, so the client can only say "not confirmed" there. */
export type Method = 'list' | 'get' | 'call' | 'sub' | 'unsub' | 'fate' | 'rtc';

/** A client run's id: 16 hex digits (64 random bits), drawn once per device client. */
export const RUN_ID = /^[0-9a-f]{16}$/;

export type RpcMessage =
  /** `k` (optional; older clients omit it, older homes ignore it): the client run the id belongs
   *  to, so (client key, k, id) names one request across channels and reconnects. */
  | { t: 'req'; id: number; m: Method; p: Record<string, unknown>; k?: string }
  | { t: 'res'; id: number; ok: true; r: unknown }
  /** `na: true`: the home says for sure that it did not apply the request (and never will). */
  | { t: 'res'; id: number; ok: false; e: string; na?: true }
  /** A pushed state change, numbered so the client can ack it and notice gaps. */
  | { t: 'evt'; seq: number; s: EntityState }
  /** Wire v2 only: the device source went stale (HA unreachable) or live again. */
  | { t: 'evt'; seq: number; h: HealthWire }
  | { t: 'ack'; seq: number }
  /** Keepalive from the client; the home answers with the last push it numbered (-1: none)
   *  and whether this client is subscribed, so a client whose pushes were all lost resyncs. */
  | { t: 'ping'; n: number }
  | { t: 'pong'; n: number; seq: number; sub: boolean };

export interface HealthWire {
  live: boolean;
  error?: string;
}

/** The wire version a request asks for. */
export const wireVersion = (p: Record<string, unknown>): 1 | 2 => (p.v === 2 ? 2 : 1);

/** `rtc` (issue 18): WebRTC signalling for a direct data channel (docs/phone.md); a home without
 *  WebRTC answers an error, an older one drops it unanswered. */
const METHODS: readonly Method[] = ['list', 'get', 'call', 'sub', 'unsub', 'fate', 'rtc'];
const isId = (v: unknown): v is number =>
  Number.isInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 31;
const isSeqOrNone = (v: unknown): v is number => v === -1 || isId(v);

export function encodeRpc(m: RpcMessage): Uint8Array {
  const b = utf8(JSON.stringify(m));
  if (b.length > MAX_RPC)
    throw new RangeError(`rpc message of ${b.length} bytes exceeds ${MAX_RPC}`);
  return b;
}

/** Untrusted bytes → a typed message, or undefined (dropped and counted by the caller). */
export function decodeRpc(data: Uint8Array): RpcMessage | undefined {
  if (data.length > MAX_RPC) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(fromUtf8(data));
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  try {
    switch (r.t) {
      case 'req':
        if (!isId(r.id) || !METHODS.includes(r.m as Method)) return undefined;
        if (typeof r.p !== 'object' || r.p === null || Array.isArray(r.p)) return undefined;
        if (r.k !== undefined && (typeof r.k !== 'string' || !RUN_ID.test(r.k))) return undefined;
        return {
          t: 'req',
          id: r.id,
          m: r.m as Method,
          p: r.p as Record<string, unknown>,
          ...(r.k !== undefined ? { k: r.k } : {}),
        };
      case 'res':
        if (!isId(r.id)) return undefined;
        if (r.ok === true) return { t: 'res', id: r.id, ok: true, r: r.r };
        if (r.ok === false && typeof r.e === 'string')
          return {
            t: 'res',
            id: r.id,
            ok: false,
            e: r.e.slice(0, 300),
            ...(r.na === true ? { na: true as const } : {}),
          };
        return undefined;
      case 'evt':
        if (!isId(r.seq)) return undefined;
        if (r.s === undefined && typeof r.h === 'object' && r.h !== null) {
          const h = r.h as Record<string, unknown>;
          if (typeof h.live !== 'boolean') return undefined;
          return {
            t: 'evt',
            seq: r.seq,
            h: {
              live: h.live,
              ...(typeof h.error === 'string' ? { error: h.error.slice(0, 300) } : {}),
            },
          };
        }
        return { t: 'evt', seq: r.seq, s: parseEntityStateV2(r.s) };
      case 'ack':
        return isId(r.seq) ? { t: 'ack', seq: r.seq } : undefined;
      case 'ping':
        return isId(r.n) ? { t: 'ping', n: r.n } : undefined;
      case 'pong':
        return isId(r.n) && isSeqOrNone(r.seq) && typeof r.sub === 'boolean'
          ? { t: 'pong', n: r.n, seq: r.seq, sub: r.sub }
          : undefined;
      default:
        return undefined;
    }
  } catch (e) {
    if (e instanceof DeviceError) return undefined;
    throw e;
  }
}

const MAX_ATTRS = 32;
const MAX_ATTR_TEXT = 120;
/** Room for the envelope around a state: a push, a response, or a one-item list page. */
const ENVELOPE = 100;

const MAX_LISTS = 8;
const MAX_LIST_ITEMS = 16;

/** A state trimmed to fit one message: long texts shortened, then the largest attributes dropped
 *  (a device with huge attributes still shows its state rather than vanishing). Version 1 (what an
 *  older client decodes) keeps the four v1 fields and scalar attributes only. */
export function fitState(s: EntityState, v: 1 | 2 = 1): EntityState {
  const attributes: EntityState['attributes'] = {};
  for (const [k, val] of Object.entries(s.attributes).slice(0, MAX_ATTRS)) {
    if (k.length > MAX_ATTR_TEXT) continue;
    if (val !== null && !['string', 'number', 'boolean'].includes(typeof val)) continue;
    attributes[k] = typeof val === 'string' ? val.slice(0, MAX_ATTR_TEXT) : val;
  }
  const out: EntityState = {
    entity_id: s.entity_id,
    state: s.state.slice(0, 64),
    attributes,
    last_changed: s.last_changed,
  };
  let lists: Record<string, (string | number)[]> | undefined;
  if (v === 2) {
    if (s.area !== undefined) out.area = s.area.slice(0, 64);
    if (s.stale) out.stale = true;
    if (s.lists) {
      lists = {};
      for (const [k, l] of Object.entries(s.lists).slice(0, MAX_LISTS)) {
        if (k.length > 40) continue;
        lists[k] = l
          .slice(0, MAX_LIST_ITEMS)
          .map((x) => (typeof x === 'string' ? x.slice(0, 40) : x));
      }
      out.lists = lists;
    }
  }
  const size = (): number => utf8Length(JSON.stringify(out)) + ENVELOPE;
  const bySize = Object.keys(attributes).sort(
    (a, b) => JSON.stringify(attributes[b]).length - JSON.stringify(attributes[a]).length,
  );
  // Lists go first (the app can do without a mode list), then the largest attributes.
  const listKeys = Object.keys(lists ?? {});
  while (size() > MAX_RPC && listKeys.length > 0) delete lists?.[listKeys.shift() as string];
  while (size() > MAX_RPC && bySize.length > 0) delete attributes[bySize.shift() as string];
  return out;
}
