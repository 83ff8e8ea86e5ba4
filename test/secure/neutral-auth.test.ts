// The page signs its relay requests with @noble/curves (issue 18): the home's node:crypto check
// accepts them, and the pairing proof carries the name the phone's user chose.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { verifyRelay } from '../../src/secure/auth.js';
import { generateIdentity } from '../../src/secure/keys.js';
import { AssistKind, signedRelayAuth } from '../../src/secure/neutral-auth.js';
import { codeId, newSecret } from '../../src/secure/pairing-code.js';
import {
  cleanClientName,
  pairingProof,
  parsePairingProof,
} from '../../src/secure/pairing-proof.js';

const homeId = 'ph-' + 'a'.repeat(26);
const session = '0123456789abcdef';

test('a relayOpen signed with @noble ed25519 verifies with node:crypto, pairing mac included', () => {
  const sk = ed25519.utils.randomSecretKey();
  const signer = {
    edPublic: ed25519.getPublicKey(sk),
    sign: (t: Uint8Array) => ed25519.sign(t, sk),
  };
  const secret = newSecret();
  const id = codeId(secret);
  const now = Date.now();
  const nonce = new Uint8Array(8).fill(7);
  const paired = verifyRelay(
    homeId,
    session,
    signedRelayAuth(signer, { homeId, session, now, nonce }),
  );
  assert.ok(paired.ok && paired.claim.kind === AssistKind.Paired);
  assert.deepEqual(paired.ok && paired.claim.clientEd, signer.edPublic);
  const pairing = signedRelayAuth(signer, {
    homeId,
    session,
    now,
    nonce,
    pairing: { codeId: id, secret },
  });
  const v = verifyRelay(homeId, session, pairing);
  assert.ok(v.ok && v.claim.kind === AssistKind.Pairing && v.claim.codeId === id);
  assert.ok(v.ok && v.claim.macValid(secret) && !v.claim.macValid(newSecret()));
  assert.equal(verifyRelay(homeId, 'fedcba9876543210', pairing).ok, false);
});

test('pairing proof: an optional name; unprintable names and oversize proofs refused', () => {
  const me = generateIdentity();
  const secret = newSecret();
  const id = codeId(secret);
  const plain = parsePairingProof(pairingProof(me, id, secret), me.dhPublic);
  assert.ok(plain?.verify(secret) && plain.name === undefined && plain.codeId === id);
  const named = parsePairingProof(pairingProof(me, id, secret, 'Ana’s phone 📱'), me.dhPublic);
  assert.equal(named?.name, 'Ana’s phone 📱');
  assert.ok(named?.verify(secret));
  assert.equal(cleanClientName('a\u0000b\nc'), 'abc');
  assert.ok(new TextEncoder().encode(cleanClientName('é'.repeat(100))).length <= 40);
  const proof = pairingProof(me, id, secret);
  const bad = new Uint8Array([...proof, 0x07]);
  assert.equal(parsePairingProof(bad, me.dhPublic), undefined);
  assert.equal(
    parsePairingProof(new Uint8Array([...proof, ...new Uint8Array(41).fill(65)]), me.dhPublic),
    undefined,
  );
});
