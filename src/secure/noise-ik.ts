// Noise_IK_25519_ChaChaPoly_BLAKE2b on the audited @noble libraries (x25519, ChaCha20-Poly1305,
// BLAKE2b, HKDF/HMAC): platform-neutral, so the phone's page runs it (issue 18). Only the Noise
// state machine (Noise spec rev. 34 §5: MixHash, MixKey, EncryptAndHash, Split) is written here,
// following the structure of noise-handshake; no primitive is. Byte-compatible with
// noise-handshake 4.x (test/secure/noise-ik.test.ts and the browser golden test prove it).
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { concatBytes, latin1 } from '../wire/bytes.js';
import {
  NOISE_PROTOCOL,
  type IkInitiator,
  type Keys,
  type TransportCipher,
} from './noise-frames.js';

const HASHLEN = 64;
const DHLEN = 32;
const TAG = 16;

export interface DhKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export function x25519KeyPair(secretKey?: Uint8Array): DhKeyPair {
  const sk = secretKey ?? x25519.utils.randomSecretKey();
  return { secretKey: sk, publicKey: x25519.getPublicKey(sk) };
}

/** Noise's nonce: 4 zero bytes, then the 64-bit counter little-endian. */
function nonceOf(n: number): Uint8Array {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setUint32(4, n >>> 0, true);
  new DataView(nonce.buffer).setUint32(8, Math.floor(n / 0x100000000), true);
  return nonce;
}

export function nobleCipher(key: Uint8Array): TransportCipher {
  return {
    seal: (n, ad, pt) => chacha20poly1305(key, nonceOf(n), ad).encrypt(pt),
    open: (n, ad, ct) => chacha20poly1305(key, nonceOf(n), ad).decrypt(ct),
  };
}

/** Noise's SymmetricState (h, ck, and the handshake CipherState k/n). */
class Symmetric {
  h = new Uint8Array(HASHLEN);
  ck: Uint8Array;
  private k: Uint8Array | undefined;
  private n = 0;

  constructor(prologue: Uint8Array) {
    const name = latin1(NOISE_PROTOCOL);
    if (name.length <= HASHLEN) this.h.set(name);
    else this.h = blake2b(name);
    this.ck = this.h.slice();
    this.mixHash(prologue);
  }

  mixHash(data: Uint8Array): void {
    this.h = blake2b(concatBytes(this.h, data));
  }

  private hkdf2(ikm: Uint8Array): [Uint8Array, Uint8Array] {
    const out = hkdf(blake2b, ikm, this.ck, new Uint8Array(0), 2 * HASHLEN);
    return [out.slice(0, HASHLEN), out.slice(HASHLEN, 2 * HASHLEN)];
  }

  mixKey(dh: Uint8Array): void {
    const [ck, k] = this.hkdf2(dh);
    this.ck = ck;
    this.k = k.slice(0, 32);
    this.n = 0;
  }

  encryptAndHash(pt: Uint8Array): Uint8Array {
    const ct = this.k ? chacha20poly1305(this.k, nonceOf(this.n++), this.h).encrypt(pt) : pt;
    this.mixHash(ct);
    return ct;
  }

  decryptAndHash(ct: Uint8Array): Uint8Array {
    const pt = this.k ? chacha20poly1305(this.k, nonceOf(this.n++), this.h).decrypt(ct) : ct;
    this.mixHash(ct);
    return pt;
  }

  split(): [Uint8Array, Uint8Array] {
    const [a, b] = this.hkdf2(new Uint8Array(0));
    return [a.slice(0, 32), b.slice(0, 32)];
  }
}

const dh = (sk: Uint8Array, pk: Uint8Array): Uint8Array => x25519.getSharedSecret(sk, pk);

/**
 * The initiator: `s` its static key pair, `rs` the home's static public key (from pairing).
 * `ephemeral` only for golden tests (fixed bytes); by default a fresh random key.
 */
export function nobleIkInitiator(
  s: DhKeyPair,
  rs: Uint8Array,
  prologue: Uint8Array,
  ephemeral?: DhKeyPair,
): IkInitiator {
  const st = new Symmetric(prologue);
  st.mixHash(rs); // pre-message: <- s
  const e = ephemeral ?? x25519KeyPair();
  let sent = false;
  return {
    writeMessage1(payload) {
      if (sent) throw new Error('message 1 already written');
      sent = true;
      // -> e, es, s, ss
      st.mixHash(e.publicKey);
      st.mixKey(dh(e.secretKey, rs));
      const sEnc = st.encryptAndHash(s.publicKey);
      st.mixKey(dh(s.secretKey, rs));
      return concatBytes(e.publicKey, sEnc, st.encryptAndHash(payload));
    },
    readMessage2(msg) {
      // <- e, ee, se
      if (!sent || msg.length < DHLEN + TAG) throw new Error('bad handshake message 2');
      const re = msg.subarray(0, DHLEN);
      st.mixHash(re);
      st.mixKey(dh(e.secretKey, re));
      st.mixKey(dh(s.secretKey, re));
      st.decryptAndHash(msg.subarray(DHLEN)); // throws unless the home holds rs
      const [k1, k2] = st.split();
      return { send: nobleCipher(k1), recv: nobleCipher(k2) };
    },
  };
}

/**
 * The responder, for cross-tests against noise-handshake's initiator (the home runs
 * noise-handshake): reads message 1, returns the initiator's static key, its payload, and a
 * function writing message 2 with the session keys.
 */
export function nobleIkResponder(
  s: DhKeyPair,
  prologue: Uint8Array,
  msg1: Uint8Array,
  ephemeral?: DhKeyPair,
): { rs: Uint8Array; payload: Uint8Array; reply(payload: Uint8Array): [Uint8Array, Keys] } {
  const st = new Symmetric(prologue);
  st.mixHash(s.publicKey);
  if (msg1.length < DHLEN + DHLEN + TAG + TAG) throw new Error('bad handshake message 1');
  const re = msg1.subarray(0, DHLEN);
  st.mixHash(re);
  st.mixKey(dh(s.secretKey, re));
  const rs = st.decryptAndHash(msg1.subarray(DHLEN, DHLEN + DHLEN + TAG));
  st.mixKey(dh(s.secretKey, rs));
  const payload = st.decryptAndHash(msg1.subarray(DHLEN + DHLEN + TAG));
  return {
    rs,
    payload,
    reply(p) {
      const e = ephemeral ?? x25519KeyPair();
      st.mixHash(e.publicKey);
      st.mixKey(dh(e.secretKey, re));
      st.mixKey(dh(e.secretKey, rs));
      const msg = concatBytes(e.publicKey, st.encryptAndHash(p));
      const [k1, k2] = st.split();
      return [msg, { send: nobleCipher(k2), recv: nobleCipher(k1) }];
    },
  };
}
