// The pairing proof a client puts in Noise message 1: codeId(8) | clientEd(32) | mac(32) |
// [name], the mac an HMAC keyed by the one-time secret over both of the client's public keys, and
// the optional name (UTF-8, ≤ 40 bytes, issue 18: the phone's user names it) what `home clients`
// lists. Message 1's payload is encrypted and bound to the client's static key, so the name needs
// no mac of its own. The client makes it and the home checks it with the same functions, in
// Node and in the browser (platform-neutral).
import { concatBytes, fromHex, fromUtf8, latin1, toHex, utf8 } from '../wire/bytes.js';
import { hmacSha256, sameMac } from './neutral-auth.js';

const PAIR_TAG = latin1('porthole-pair-v1');
const CODE_ID = 8;
const ED = 32;
const PAIRING_PROOF_SIZE = CODE_ID + ED + 32;
export const MAX_CLIENT_NAME = 40;
const NAME_TEXT = /^[^\p{Cc}\p{Cf}]{1,40}$/u;

function pairingMac(secret: Uint8Array, clientDh: Uint8Array, clientEd: Uint8Array): Uint8Array {
  return hmacSha256(secret, concatBytes(PAIR_TAG, clientDh, clientEd));
}

/** A name people gave a client, cut to fit and stripped of control characters; '' for none. */
export function cleanClientName(name: string): string {
  let out = name.replace(/[\p{Cc}\p{Cf}]/gu, '').trim();
  while (utf8(out).length > MAX_CLIENT_NAME) out = out.slice(0, -1);
  return out;
}

export function pairingProof(
  identity: { dhPublic: Uint8Array; edPublic: Uint8Array },
  codeIdHex: string,
  secret: Uint8Array,
  name = '',
): Uint8Array {
  const mac = pairingMac(secret, identity.dhPublic, identity.edPublic);
  return concatBytes(fromHex(codeIdHex), identity.edPublic, mac, utf8(cleanClientName(name)));
}

export interface PairingClaim {
  codeId: string;
  clientEd: Uint8Array;
  /** The name the client asked to be listed under (undefined: none). */
  name: string | undefined;
  /** True when the mac was made with `secret` by the holder of `clientDh` (the Noise static). */
  verify(secret: Uint8Array): boolean;
}

/** Splits a proof; undefined when it has the wrong size or an unprintable name. */
export function parsePairingProof(
  payload: Uint8Array,
  clientDh: Uint8Array,
): PairingClaim | undefined {
  if (payload.length < PAIRING_PROOF_SIZE || payload.length > PAIRING_PROOF_SIZE + MAX_CLIENT_NAME)
    return undefined;
  const clientEd = payload.subarray(CODE_ID, CODE_ID + ED);
  const mac = payload.subarray(CODE_ID + ED, PAIRING_PROOF_SIZE);
  let name: string | undefined;
  if (payload.length > PAIRING_PROOF_SIZE) {
    name = fromUtf8(payload.subarray(PAIRING_PROOF_SIZE));
    if (!NAME_TEXT.test(name) || name.includes('\uFFFD')) return undefined;
  }
  return {
    codeId: toHex(payload.subarray(0, CODE_ID)),
    clientEd,
    name,
    verify: (secret) => sameMac(pairingMac(secret, clientDh, clientEd), mac),
  };
}
