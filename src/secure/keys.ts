// Long-term identities. Each party has two key pairs, on purpose: Ed25519 signs (registrations,
// assist requests) and X25519 is the Noise static key. Deriving one from the other is possible
// but mixes two protocols' uses of one secret; two keys cost 32 bytes and no cleverness.
// All primitives come from node:crypto and noise-handshake (libsodium); none is hand-rolled.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  randomBytes,
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

/** PKCS#8 for an Ed25519 private key, up to its 32-byte seed (RFC 8410). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function generateIdentity(): Identity {
  // Not generateKeyPairSync: on Node 20 its key-generation job, finalized by a GC that runs
  // while an export of the same key holds the key's lock, locks it again and the process hangs
  // for good (seen in a CI run: ExportJWK → GC → ~KeyGenJob → mutex). An Ed25519 private key is
  // 32 random bytes; made from them, no job exists.
  const edPrivate = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, randomBytes(32)]),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(edPrivate).export({ format: 'der', type: 'spki' });
  const dh = x25519KeyPair();
  return {
    edPublic: new Uint8Array(spki.subarray(spki.length - 32)),
    edPrivate,
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

/**
 * A home's id: "ph-" + 26 base32 chars (130 bits) of SHA-256 over both public keys. Nobody can
 * register it without the matching private key, and it is short enough to type. The page derives
 * it with secure/neutral-auth.ts's homeIdOf (test/secure/neutral-auth.test.ts: the same ids);
 * this one stays on node:crypto so a plain command loads no crypto package.
 */
export function homeIdOf(pub: PublicIdentity): string {
  const h = createHash('sha256')
    .update('porthole home id v1')
    .update(pub.edPublic)
    .update(pub.dhPublic)
    .digest();
  return 'ph-' + base32Encode(h).slice(0, 26);
}

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
