// The one-time pairing code the home prints (and shows as a QR code): everything the client
// needs to find and authenticate the home, plus a one-time secret that proves the client was
// shown the code. Layout (then base32, prefixed "PH1-"):
//   version(1) | home Ed25519 pub(32) | home X25519 pub(32) | rendezvous addr | secret(16) |
//   expiry (u32, seconds since epoch) | checksum (first 4 bytes of SHA-256 of all before)
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { isPortholeError, PortholeError } from '../errors.js';
import type { SocketAddr } from '../net/types.js';
import { Reader, Writer } from '../wire/codec.js';
import { base32Decode, base32Encode } from './base32.js';
import { equalBytes, latin1, toHex } from '../wire/bytes.js';
import type { PublicIdentity } from './keys.js';
import { homeIdOf } from './neutral-auth.js';

const PREFIX = 'PH1-';
const VERSION = 1;

export type PairingCodeErrorKind =
  | 'not-a-code'
  | 'code-garbled'
  | 'code-checksum'
  | 'code-version'
  | 'code-expired'
  | 'code-malformed';

const CODE_TEXT: Record<PairingCodeErrorKind, string> = {
  'not-a-code': 'not a Porthole pairing code (it starts with PH1-)',
  'code-garbled': 'pairing code is garbled: check for typos',
  'code-checksum': 'pairing code is wrong (checksum mismatch): check for typos',
  'code-version': 'pairing code is from another Porthole version',
  'code-expired': 'pairing code has expired: ask the home for a new one (`porthole home pair`)',
  'code-malformed': 'pairing code is malformed',
};

/** One of the pairing code's own errors (what decoding a person's input may throw). */
export function isPairingCodeError(e: unknown): e is PortholeError<PairingCodeErrorKind> {
  return isPortholeError(e) && Object.hasOwn(CODE_TEXT, e.kind);
}

function pairingCodeError(
  kind: PairingCodeErrorKind,
  cause?: string,
): PortholeError<PairingCodeErrorKind> {
  return new PortholeError(kind, CODE_TEXT[kind] + (cause ? `: ${cause}` : ''), {
    ...(cause ? { cause } : {}),
  });
}

export interface PairingCode {
  home: PublicIdentity;
  homeId: string;
  rendezvous: SocketAddr;
  secret: Uint8Array;
  expiresAt: number; // ms since epoch
}

/** Identifies a code (for the home's list of pending codes) without revealing the secret. */
export function codeId(secret: Uint8Array): string {
  return toHex(
    sha256.create().update(latin1('porthole pairing code id')).update(secret).digest(),
  ).slice(0, 16);
}

export function newSecret(): Uint8Array {
  return randomBytes(16);
}

export function encodePairingCode(c: Omit<PairingCode, 'homeId'>): string {
  const w = new Writer(128)
    .u8(VERSION)
    .bytes(c.home.edPublic)
    .bytes(c.home.dhPublic)
    .addr(c.rendezvous)
    .bytes(c.secret)
    .u32(Math.floor(c.expiresAt / 1000));
  const body = w.finish();
  const sum = sha256(body).subarray(0, 4);
  return PREFIX + base32Encode(new Uint8Array([...body, ...sum])).toUpperCase();
}

export function decodePairingCode(text: string, now = Date.now()): PairingCode {
  const t = text.trim().replace(/\s+/g, '');
  if (!t.toUpperCase().startsWith(PREFIX)) throw pairingCodeError('not-a-code');
  const raw = base32Decode(t.slice(PREFIX.length));
  if (!raw || raw.length < 5) throw pairingCodeError('code-garbled');
  const body = raw.subarray(0, raw.length - 4);
  const sum = sha256(body).subarray(0, 4);
  if (!equalBytes(sum, raw.subarray(raw.length - 4))) {
    throw pairingCodeError('code-checksum');
  }
  try {
    const r = new Reader(body);
    if (r.u8() !== VERSION) throw pairingCodeError('code-version');
    const home = { edPublic: new Uint8Array(r.bytes(32)), dhPublic: new Uint8Array(r.bytes(32)) };
    const rendezvous = r.addr();
    const secret = new Uint8Array(r.bytes(16));
    const expiresAt = r.u32() * 1000;
    r.end();
    if (expiresAt <= now) throw pairingCodeError('code-expired');
    return { home, homeId: homeIdOf(home), rendezvous, secret, expiresAt };
  } catch (e) {
    if (isPortholeError(e)) throw e;
    throw pairingCodeError('code-malformed', (e as Error).message);
  }
}
