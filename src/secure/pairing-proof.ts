// The pairing proof a client puts in Noise message 1: codeId(8) | clientEd(32) | mac(32), the
// mac an HMAC keyed by the one-time secret over both of the client's public keys. The client
// makes it and the home checks it with the same function.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Identity } from './keys.js';

const PAIR_TAG = 'porthole-pair-v1';
const CODE_ID = 8;
const ED = 32;
const PAIRING_PROOF_SIZE = CODE_ID + ED + 32;

function pairingMac(secret: Uint8Array, clientDh: Uint8Array, clientEd: Uint8Array): Buffer {
  return createHmac('sha256', secret).update(PAIR_TAG).update(clientDh).update(clientEd).digest();
}

export function pairingProof(
  identity: Identity,
  codeIdHex: string,
  secret: Uint8Array,
): Uint8Array {
  const mac = pairingMac(secret, identity.dhPublic, identity.edPublic);
  return new Uint8Array(Buffer.concat([Buffer.from(codeIdHex, 'hex'), identity.edPublic, mac]));
}

export interface PairingClaim {
  codeId: string;
  clientEd: Uint8Array;
  /** True when the mac was made with `secret` by the holder of `clientDh` (the Noise static). */
  verify(secret: Uint8Array): boolean;
}

/** Splits a proof; undefined when it has the wrong size. */
export function parsePairingProof(
  payload: Uint8Array,
  clientDh: Uint8Array,
): PairingClaim | undefined {
  if (payload.length !== PAIRING_PROOF_SIZE) return undefined;
  const clientEd = payload.subarray(CODE_ID, CODE_ID + ED);
  const mac = Buffer.from(payload.subarray(CODE_ID + ED));
  return {
    codeId: Buffer.from(payload.subarray(0, CODE_ID)).toString('hex'),
    clientEd,
    verify: (secret) => timingSafeEqual(pairingMac(secret, clientDh, clientEd), mac),
  };
}
