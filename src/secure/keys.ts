// Long-term identities. Each party has two key pairs, on purpose: Ed25519 signs (registrations,
// assist requests) and X25519 is the Noise static key. Deriving one from the other is possible
// but mixes two protocols' uses of one secret; two keys cost 32 bytes and no cleverness.
// All primitives come from node:crypto and noise-handshake (libsodium); none is hand-rolled.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { createRequire } from 'node:module';
import { base32Encode } from './base32.js';

// libsodium (behind noise-handshake) loads on the first X25519 key, not with this module: a
// command that never makes or checks a key (`--help`, one through the client agent) skips it.
type Dh = typeof import('noise-handshake/dh.js');
let dh: Dh | undefined;
const x25519KeyPair: Dh['generateKeyPair'] = (secret) =>
  (dh ??= createRequire(import.meta.url)('noise-handshake/dh.js') as Dh).generateKeyPair(secret);

export interface Identity {
  readonly edPublic: Uint8Array; // 32 bytes
  readonly edPrivate: KeyObject;
  readonly dhPublic: Uint8Array; // 32 bytes (Noise static)
  readonly dhSecret: Uint8Array; // 32 bytes
}

/** The public half, as stored by peers and carried in pairing codes. */
export interface PublicIdentity {
  readonly edPublic: Uint8Array;
  readonly dhPublic: Uint8Array;
}

const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
const unb64u = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64url'));

export function generateIdentity(): Identity {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  const dh = x25519KeyPair();
  return {
    edPublic: unb64u(jwk.x as string),
    edPrivate: privateKey,
    dhPublic: new Uint8Array(dh.publicKey),
    dhSecret: new Uint8Array(dh.secretKey),
  };
}

/** Serialisable form (base64url), for the state dir. */
export interface IdentityJson {
  ed: { x: string; d: string };
  dh: { pub: string; sec: string };
}

export function identityToJson(id: Identity): IdentityJson {
  const jwk = id.edPrivate.export({ format: 'jwk' });
  return {
    ed: { x: jwk.x as string, d: jwk.d as string },
    dh: { pub: b64u(id.dhPublic), sec: b64u(id.dhSecret) },
  };
}

export function identityFromJson(j: IdentityJson): Identity {
  const edPrivate = createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: j.ed.x, d: j.ed.d },
    format: 'jwk',
  });
  const dhSecret = unb64u(j.dh.sec);
  const dhPublic = unb64u(j.dh.pub);
  if (dhSecret.length !== 32 || dhPublic.length !== 32 || unb64u(j.ed.x).length !== 32) {
    throw new Error('identity keys have the wrong length');
  }
  // The stored X25519 public key must belong to the secret (a corrupt file must not half-work).
  if (!Buffer.from(x25519KeyPair(dhSecret).publicKey).equals(Buffer.from(dhPublic))) {
    throw new Error('identity X25519 public key does not match its secret');
  }
  return { edPublic: unb64u(j.ed.x), edPrivate, dhPublic, dhSecret };
}

/** A home's id from its public keys (secure/neutral-auth.ts: the page derives it too). */
export { homeIdOf } from './neutral-auth.js';

export const DERIVED_ID = /^ph-[a-z2-7]{26}$/;

/** Short, human-comparable fingerprint of a public key (for `home clients`). */
export function fingerprint(edPublic: Uint8Array): string {
  return base32Encode(createHash('sha256').update(edPublic).digest()).slice(0, 12);
}

export function signBytes(id: Identity, data: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, data, id.edPrivate));
}

export function verifyBytes(edPublic: Uint8Array, data: Uint8Array, sig: Uint8Array): boolean {
  if (edPublic.length !== 32 || sig.length !== 64) return false;
  try {
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: b64u(edPublic) },
      format: 'jwk',
    });
    return verify(null, data, key, sig);
  } catch {
    return false;
  }
}

export { b64u, unb64u };
