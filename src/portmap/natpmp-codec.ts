// RFC 6886 (NAT-PMP): external-address and UDP-mapping requests, strict response decoding.
// Decoding never throws: hostile or unrelated bytes become a typed rejection.
import { ipv4Text } from './ipv4.js';
import { resultNamer } from './result-name.js';

export const NATPMP_PORT = 5351;
const VERSION = 0;
const OP_ADDRESS = 0;
const OP_MAP_UDP = 1;
const RESPONSE = 128;

/** §3.5 result codes. */
export const NATPMP_RESULT = {
  SUCCESS: 0,
  UNSUPPORTED_VERSION: 1,
  NOT_AUTHORIZED: 2,
  NETWORK_FAILURE: 3,
  OUT_OF_RESOURCES: 4,
  UNSUPPORTED_OPCODE: 5,
} as const;

export const natpmpResultName = resultNamer(NATPMP_RESULT);

export interface NatpmpMapRequest {
  readonly internalPort: number;
  /** 0 = no preference (and required for a delete, §3.4). */
  readonly suggestedPort: number;
  /** 0 deletes the mapping. */
  readonly lifetimeS: number;
}

export type NatpmpResponse<T> =
  | ({ readonly kind: 'ok'; readonly epoch: number } & T)
  | { readonly kind: 'error'; readonly result: number };

export type NatpmpDecode<T> =
  | { readonly ok: true; readonly msg: NatpmpResponse<T> }
  | { readonly ok: false; readonly error: string };

export function encodeNatpmpAddress(): Uint8Array {
  return new Uint8Array([VERSION, OP_ADDRESS]);
}

export function encodeNatpmpMap(req: NatpmpMapRequest): Uint8Array {
  const out = new Uint8Array(12);
  const v = new DataView(out.buffer);
  out[1] = OP_MAP_UDP;
  v.setUint16(4, req.internalPort);
  v.setUint16(6, req.suggestedPort);
  v.setUint32(8, req.lifetimeS >>> 0);
  return out;
}

/** Common header checks; `size` is the length of a success response. */
function header(
  data: Uint8Array,
  op: number,
  size: number,
): { ok: false; error: string } | { ok: true; v: DataView; result: number } {
  if (data.length < 4) return { ok: false, error: 'truncated' };
  if (data[0] !== VERSION) return { ok: false, error: `version ${data[0]}` };
  if (data[1] !== RESPONSE + op) return { ok: false, error: `opcode ${data[1]}` };
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const result = v.getUint16(2);
  // Error responses may be cut short (only the header is meaningful); successes may not.
  if (result === NATPMP_RESULT.SUCCESS && data.length < size)
    return { ok: false, error: 'truncated' };
  if (data.length > 1100) return { ok: false, error: 'too long' };
  return { ok: true, v, result };
}

export function decodeNatpmpAddress(data: Uint8Array): NatpmpDecode<{ externalIp: string }> {
  const h = header(data, OP_ADDRESS, 12);
  if (!h.ok) return h;
  if (h.result !== NATPMP_RESULT.SUCCESS)
    return { ok: true, msg: { kind: 'error', result: h.result } };
  return {
    ok: true,
    msg: { kind: 'ok', epoch: h.v.getUint32(4), externalIp: ipv4Text(data, 8) },
  };
}

/** Decodes a UDP mapping response; it must be for the request's internal port. */
export function decodeNatpmpMap(
  data: Uint8Array,
  req: NatpmpMapRequest,
): NatpmpDecode<{ externalPort: number; lifetimeS: number }> {
  const h = header(data, OP_MAP_UDP, 16);
  if (!h.ok) return h;
  if (data.length >= 10 && h.v.getUint16(8) !== req.internalPort) {
    return { ok: false, error: 'internal port' };
  }
  if (h.result !== NATPMP_RESULT.SUCCESS)
    return { ok: true, msg: { kind: 'error', result: h.result } };
  const externalPort = h.v.getUint16(10);
  if (req.lifetimeS > 0 && externalPort === 0) return { ok: false, error: 'external port 0' };
  return {
    ok: true,
    msg: { kind: 'ok', epoch: h.v.getUint32(4), externalPort, lifetimeS: h.v.getUint32(12) },
  };
}
