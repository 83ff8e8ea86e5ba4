// The remote-procedure messages between a client and the home's device service: compact JSON,
// at most MAX_RPC bytes each (one datagram, encrypted or not), parsed strictly.
import { DeviceError, parseEntityState, type EntityState } from './model.js';

/** Fits a secure-channel datagram (1,024 bytes of plaintext) with room to spare. */
export const MAX_RPC = 1000;

export type Method = 'list' | 'get' | 'call' | 'sub' | 'unsub';

export type RpcMessage =
  | { t: 'req'; id: number; m: Method; p: Record<string, unknown> }
  | { t: 'res'; id: number; ok: true; r: unknown }
  | { t: 'res'; id: number; ok: false; e: string }
  /** A pushed state change, numbered so the client can ack it and notice gaps. */
  | { t: 'evt'; seq: number; s: EntityState }
  | { t: 'ack'; seq: number };

const METHODS: readonly Method[] = ['list', 'get', 'call', 'sub', 'unsub'];
const isId = (v: unknown): v is number =>
  Number.isInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 31;

export function encodeRpc(m: RpcMessage): Uint8Array {
  const b = Buffer.from(JSON.stringify(m));
  if (b.length > MAX_RPC)
    throw new RangeError(`rpc message of ${b.length} bytes exceeds ${MAX_RPC}`);
  return b;
}

/** Untrusted bytes → a typed message, or undefined (dropped and counted by the caller). */
export function decodeRpc(data: Uint8Array): RpcMessage | undefined {
  if (data.length > MAX_RPC) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(data).toString('utf8'));
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
        return { t: 'req', id: r.id, m: r.m as Method, p: r.p as Record<string, unknown> };
      case 'res':
        if (!isId(r.id)) return undefined;
        if (r.ok === true) return { t: 'res', id: r.id, ok: true, r: r.r };
        if (r.ok === false && typeof r.e === 'string')
          return { t: 'res', id: r.id, ok: false, e: r.e.slice(0, 300) };
        return undefined;
      case 'evt':
        return isId(r.seq) ? { t: 'evt', seq: r.seq, s: parseEntityState(r.s) } : undefined;
      case 'ack':
        return isId(r.seq) ? { t: 'ack', seq: r.seq } : undefined;
      default:
        return undefined;
    }
  } catch (e) {
    if (e instanceof DeviceError) return undefined;
    throw e;
  }
}
