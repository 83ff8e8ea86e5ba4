// Authentication blobs carried in the `auth` fields of register and assist (and passed on to the
// home inside peerInfo). Pure functions: build bytes, or verify bytes into a typed verdict.
//
// register.auth = edPub(32) | dhPub(32) | time(8) | nonce(8) | sig(64)
//   sig = Ed25519 over "porthole-register-v1" | homeId | time | nonce
// assist.auth   = kind(1) | clientEdPub(32) | time(8) | nonce(8) | [codeId(8) | mac(32)] | sig(64)
//   transcript   = "porthole-assist-v1" | kind | homeId | session | client addr | time | nonce | [codeId]
//   sig = Ed25519(client key, transcript); mac = HMAC-SHA256(pairing secret, transcript) (kind 2)
// The client address is the one the rendezvous observed (learnt with observe/observed), so the
// home sprays only at the address the client itself asked for.
// relayOpen.auth is the same blob under its own tag ("porthole-relay-v1", so neither proof can
// stand in for the other) and with no address: a relay never sends to an address the client
// claims, and the client may not know its own (TCP/WebSocket through a proxy).
// candidatesQuery.auth (issue 13) is the same blob under "porthole-candidates-v1", no address,
// and the client's own candidate list (as encoded) at the end of the transcript: the home knocks
// only at addresses the client signed.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SocketAddr } from '../net/types.js';
import { Reader, Writer } from '../wire/codec.js';
import { DERIVED_ID, homeIdOf, signBytes, verifyBytes, type Identity } from './keys.js';
import {
  AssistKind,
  assistTranscript,
  NO_ADDR,
  readTime,
  signedAssistBlob,
  writeTime,
  type AssistPurpose,
} from './neutral-auth.js';

export { AssistKind, type AssistPurpose } from './neutral-auth.js';

export type Verdict<T = object> = ({ ok: true } & T) | { ok: false; reason: string };

// --- registration ---------------------------------------------------------------------------

function registerTranscript(homeId: string, time: number, nonce: Uint8Array): Uint8Array {
  return writeTime(new Writer().str('porthole-register-v1').str(homeId), time)
    .bytes(nonce)
    .finish();
}

export function registrationAuth(id: Identity, homeId: string, now: number): Uint8Array {
  const nonce = new Uint8Array(randomBytes(8));
  const sig = signBytes(id, registerTranscript(homeId, now, nonce));
  return writeTime(new Writer().bytes(id.edPublic).bytes(id.dhPublic), now)
    .bytes(nonce)
    .bytes(sig)
    .finish();
}

export interface RegistrationProof {
  time: number;
  nonce: string;
}

/** Checks a signed registration; the caller applies the replay guard to time/nonce. */
export function verifyRegistration(homeId: string, auth: Uint8Array): Verdict<RegistrationProof> {
  if (!DERIVED_ID.test(homeId))
    return { ok: false, reason: 'only key-derived home ids (ph-…) can be signed' };
  try {
    const r = new Reader(auth);
    const edPublic = new Uint8Array(r.bytes(32));
    const dhPublic = new Uint8Array(r.bytes(32));
    const time = readTime(r);
    const nonce = new Uint8Array(r.bytes(8));
    const sig = new Uint8Array(r.bytes(64));
    r.end();
    if (homeIdOf({ edPublic, dhPublic }) !== homeId)
      return { ok: false, reason: 'keys do not match the home id' };
    if (!verifyBytes(edPublic, registerTranscript(homeId, time, nonce), sig))
      return { ok: false, reason: 'bad signature' };
    return { ok: true, time, nonce: Buffer.from(nonce).toString('hex') };
  } catch {
    return { ok: false, reason: 'malformed registration auth' };
  }
}

// --- assist ---------------------------------------------------------------------------------

export function assistAuth(
  id: Identity,
  a: {
    homeId: string;
    session: string;
    client: SocketAddr;
    now: number;
    pairing?: { codeId: string; secret: Uint8Array };
    purpose?: AssistPurpose;
    extra?: Uint8Array;
  },
): Uint8Array {
  const signer = { edPublic: id.edPublic, sign: (t: Uint8Array) => signBytes(id, t) };
  return signedAssistBlob(signer, { ...a, nonce: new Uint8Array(randomBytes(8)) });
}

export interface AssistClaim {
  kind: number;
  clientEd: Uint8Array;
  time: number;
  nonce: string;
  codeId?: string;
  /** Checks the pairing MAC against a secret (kind 2). */
  macValid(secret: Uint8Array): boolean;
}

/** Parses and checks the client's signature over what the home was told (homeId, session, client addr). */
export function verifyAssist(
  homeId: string,
  session: string,
  client: SocketAddr,
  auth: Uint8Array,
  purpose: AssistPurpose = 'assist',
  extra?: Uint8Array,
): Verdict<{ claim: AssistClaim }> {
  try {
    const r = new Reader(auth);
    const kind = r.u8();
    if (kind !== AssistKind.Paired && kind !== AssistKind.Pairing)
      return { ok: false, reason: 'unknown assist kind' };
    const clientEd = new Uint8Array(r.bytes(32));
    const time = readTime(r);
    const nonce = new Uint8Array(r.bytes(8));
    const codeId = kind === AssistKind.Pairing ? new Uint8Array(r.bytes(8)) : undefined;
    const mac = kind === AssistKind.Pairing ? new Uint8Array(r.bytes(32)) : undefined;
    const sig = new Uint8Array(r.bytes(64));
    r.end();
    const t = assistTranscript({
      purpose,
      kind,
      homeId,
      session,
      client,
      time,
      nonce,
      codeId,
      extra,
    });
    if (!verifyBytes(clientEd, t, sig))
      return { ok: false, reason: 'bad client signature (or the request was redirected)' };
    const claim: AssistClaim = {
      kind,
      clientEd,
      time,
      nonce: Buffer.from(nonce).toString('hex'),
      ...(codeId ? { codeId: Buffer.from(codeId).toString('hex') } : {}),
      macValid: (secret) =>
        mac !== undefined &&
        timingSafeEqual(createHmac('sha256', secret).update(t).digest(), Buffer.from(mac)),
    };
    return { ok: true, claim };
  } catch {
    return { ok: false, reason: 'malformed assist auth' };
  }
}

// --- relay ----------------------------------------------------------------------------------

/** relayOpen.auth: the client's proof for one relayed session to `homeId`. */
export function relayAuth(
  id: Identity,
  a: {
    homeId: string;
    session: string;
    now: number;
    pairing?: { codeId: string; secret: Uint8Array };
  },
): Uint8Array {
  return assistAuth(id, { ...a, client: NO_ADDR, purpose: 'relay' });
}

/** The home's check of a relayOffer's auth (then the same trust decision as for an assist). */
export function verifyRelay(
  homeId: string,
  session: string,
  auth: Uint8Array,
): Verdict<{ claim: AssistClaim }> {
  return verifyAssist(homeId, session, NO_ADDR, auth, 'relay');
}

// --- candidates (issue 13) -------------------------------------------------------------------

/** candidatesQuery.auth: the client's proof, covering its own candidate list (`list` as encoded). */
export function candidatesAuth(
  id: Identity,
  a: {
    homeId: string;
    session: string;
    list: Uint8Array;
    now: number;
    pairing?: { codeId: string; secret: Uint8Array };
  },
): Uint8Array {
  const { list, ...rest } = a;
  return assistAuth(id, { ...rest, client: NO_ADDR, purpose: 'candidates', extra: list });
}

/** The home's check of a forwarded candidatesQuery (then the same trust decision as an assist). */
export function verifyCandidates(
  homeId: string,
  session: string,
  list: Uint8Array,
  auth: Uint8Array,
): Verdict<{ claim: AssistClaim }> {
  return verifyAssist(homeId, session, NO_ADDR, auth, 'candidates', list);
}
