// The phone's identity: an Ed25519 key (signs relay requests) and an X25519 key (its Noise
// static), both from @noble/curves, kept as raw secrets in IndexedDB (phone/store.ts). The same
// two-key shape as the CLI's secure/keys.ts, so the home stores a phone like any client.
import { ed25519 } from '@noble/curves/ed25519.js';
import type { Signer } from '../secure/neutral-auth.js';
import { x25519KeyPair, type DhKeyPair } from '../secure/noise-ik.js';

export interface PhoneIdentity extends Signer {
  readonly edSecret: Uint8Array;
  readonly dh: DhKeyPair;
}

export function phoneIdentity(edSecret?: Uint8Array, dhSecret?: Uint8Array): PhoneIdentity {
  const sk = edSecret ?? ed25519.utils.randomSecretKey();
  return {
    edSecret: sk,
    edPublic: ed25519.getPublicKey(sk),
    sign: (data) => ed25519.sign(data, sk),
    dh: x25519KeyPair(dhSecret),
  };
}
