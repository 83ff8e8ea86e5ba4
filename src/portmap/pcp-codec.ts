// RFC 6887 (PCP) MAP for UDP over IPv4: request encoding and strict response decoding. Decoding
// never throws: hostile or unrelated bytes become a typed rejection.
import { ipv4Bytes, ipv4Text } from './ipv4.js';
import { resultNamer } from './result-name.js';

export const PCP_PORT = 5351;
export const PCP_VERSION = 2;
const OP_MAP = 1;
const PROTO_UDP = 17;
const HEADER = 24;
const MAP_BODY = 36;
/** §7: a PCP message is at most 1100 bytes and a multiple of 4. */
const MAX_MESSAGE = 1100;
export const NONCE_BYTES = 12;

/** §7.4 result codes. */
export const PCP_RESULT = {
  SUCCESS: 0,
  UNSUPP_VERSION: 1,
  NOT_AUTHORIZED: 2,
  MALFORMED_REQUEST: 3,
  UNSUPP_OPCODE: 4,
  UNSUPP_OPTION: 5,
  MALFORMED_OPTION: 6,
  NETWORK_FAILURE: 7,
  NO_RESOURCES: 8,
  UNSUPP_PROTOCOL: 9,
  USER_EX_QUOTA: 10,
  CANNOT_PROVIDE_EXTERNAL: 11,
  ADDRESS_MISMATCH: 12,
  EXCESSIVE_REMOTE_PEERS: 13,
} as const;

export const pcpResultName = resultNamer(PCP_RESULT);

export interface PcpMapRequest {
  /** The client's own (internal) IPv4 address; the server checks it against the source. */
  readonly clientIp: string;
  readonly nonce: Uint8Array;
  readonly internalPort: number;
  readonly suggestedPort: number;
  /** Suggested external address; '0.0.0.0' = no preference. */
  readonly suggestedIp: string;
  /** 0 deletes the mapping (§15). */
  readonly lifetimeS: number;
}

export type PcpMapResponse =
  | {
      readonly kind: 'mapped';
      readonly lifetimeS: number;
      readonly epoch: number;
      readonly externalIp: string;
      readonly externalPort: number;
    }
  /** The server answered with an error result for this request. */
  | { readonly kind: 'error'; readonly result: number; readonly lifetimeS: number }
  /** A PCP server of another version, or a NAT-PMP-only server (§9): fall back. */
  | { readonly kind: 'unsupported-version'; readonly version: number };

export type PcpDecode =
  | { readonly ok: true; readonly msg: PcpMapResponse }
  | { readonly ok: false; readonly error: string };

/** §5: an IPv4 address as an IPv4-mapped IPv6 address, 16 bytes. */
function writeMapped(out: Uint8Array, offset: number, ip: string): void {
  const b = ipv4Bytes(ip);
  if (!b) throw new RangeError(`not an IPv4 address: ${ip}`);
  out.fill(0, offset, offset + 10);
  out[offset + 10] = 0xff;
  out[offset + 11] = 0xff;
  out.set(b, offset + 12);
}

function readMapped(b: Uint8Array, offset: number): string | undefined {
  for (let i = 0; i < 10; i++) if (b[offset + i] !== 0) return undefined;
  if (b[offset + 10] !== 0xff || b[offset + 11] !== 0xff) return undefined;
  return ipv4Text(b, offset + 12);
}

/** Encodes a MAP request (60 bytes). Throws only on a programming error (bad arguments). */
export function encodePcpMap(req: PcpMapRequest): Uint8Array {
  if (req.nonce.length !== NONCE_BYTES) throw new RangeError('PCP nonce must be 12 bytes');
  const out = new Uint8Array(HEADER + MAP_BODY);
  const v = new DataView(out.buffer);
  out[0] = PCP_VERSION;
  out[1] = OP_MAP; // R bit 0: request
  v.setUint32(4, req.lifetimeS >>> 0);
  writeMapped(out, 8, req.clientIp);
  out.set(req.nonce, HEADER);
  out[HEADER + 12] = PROTO_UDP;
  v.setUint16(HEADER + 16, req.internalPort);
  v.setUint16(HEADER + 18, req.suggestedPort);
  writeMapped(out, HEADER + 20, req.suggestedIp);
  return out;
}

const equalBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Decodes a response to `req`. Rejects anything that is not an answer to this very request:
 * wrong version/opcode/R bit, nonce, protocol or internal port, bad length or address.
 */
export function decodePcpMap(data: Uint8Array, req: PcpMapRequest): PcpDecode {
  const fail = (error: string): PcpDecode => ({ ok: false, error });
  if (data.length < 4) return fail('truncated');
  const version = data[0] as number;
  if (version !== PCP_VERSION) {
    // NAT-PMP servers answer a PCP request with their own UNSUPP_VERSION (RFC 6886 §3.5, 6887 §9).
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (version === 0 && data[1] === 128 + OP_MAP && v.getUint16(2) === 1) {
      return { ok: true, msg: { kind: 'unsupported-version', version } };
    }
    return fail(`version ${version}`);
  }
  if (data.length > MAX_MESSAGE || data.length % 4 !== 0) return fail('bad length');
  if (data.length < HEADER) return fail('truncated');
  if (data[1] !== (0x80 | OP_MAP)) return fail(`opcode byte ${data[1]}`);
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const result = data[3] as number;
  const lifetimeS = v.getUint32(4);
  if (result === PCP_RESULT.UNSUPP_VERSION) {
    return { ok: true, msg: { kind: 'unsupported-version', version } };
  }
  // Every other response carries the MAP body; its nonce proves it answers our request (§11.3).
  if (data.length < HEADER + MAP_BODY) return fail('truncated MAP body');
  if (!equalBytes(data.subarray(HEADER, HEADER + NONCE_BYTES), req.nonce)) return fail('nonce');
  if (data[HEADER + 12] !== PROTO_UDP) return fail('protocol');
  if (v.getUint16(HEADER + 16) !== req.internalPort) return fail('internal port');
  if (result !== PCP_RESULT.SUCCESS) return { ok: true, msg: { kind: 'error', result, lifetimeS } };
  const externalIp = readMapped(data, HEADER + 20);
  if (externalIp === undefined) return fail('external address is not IPv4-mapped');
  const externalPort = v.getUint16(HEADER + 18);
  if (req.lifetimeS > 0 && externalPort === 0) return fail('external port 0');
  return {
    ok: true,
    msg: { kind: 'mapped', lifetimeS, epoch: v.getUint32(8), externalIp, externalPort },
  };
}
