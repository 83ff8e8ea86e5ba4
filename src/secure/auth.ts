// Authentication blobs carried in the `auth` fields of register and assist (and passed on to the
// home inside peerInfo). Pure functions: build bytes, or verify bytes into a typed verdict.
//
// register.auth = edPub(32) | dhPub(32) | time(8) | nonce(8) | [role(1) | server addr] | sig(64)
//   sig = Ed25519 over "porthole-register-v2" | homeId | role | server addr | time | nonce
// (issue 21 item 4: bound to the server it was sent to — its role and the address the home sent
// it to — so it cannot be replayed to a relay node or another cluster node; docs/security.md).
// An unbound proof (v1: no role/addr, "porthole-register-v1") is still read, for homes older than
// the binding; the server decides whether to take it.
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

/** Which kind of server a registration is for: a rendezvous, or a standalone relay node. */
export type ServerRole = 'rendezvous' | 'relay';
const ROLE_CODE: Record<ServerRole, number> = { rendezvous: 1, relay: 2 };

/** The server a registration proof is bound to: its role and the address the home sent it to. */
export interface ServerBinding {
  role: ServerRole;
  addr: SocketAddr;
}

function registerTranscript(
  homeId: string,
  time: number,
  nonce: Uint8Array,
  server: ServerBinding | undefined,
  tag = 'porthole-register',
): Uint8Array {
  const w = new Writer();
  if (!server) w.str(`${tag}-v1`).str(homeId);
  else w.str(`${tag}-v2`).str(homeId).u8(ROLE_CODE[server.role]).addr(server.addr);
  return writeTime(w, time).bytes(nonce).finish();
}

/** A registration proof; `server` binds it to the server it is sent to (always, since issue 21). */
export function registrationAuth(
  id: Identity,
  homeId: string,
  now: number,
  server?: ServerBinding,
  tag = 'porthole-register',
): Uint8Array {
  const nonce = new Uint8Array(randomBytes(8));
  const sig = signBytes(id, registerTranscript(homeId, now, nonce, server, tag));
  const w = writeTime(new Writer().bytes(id.edPublic).bytes(id.dhPublic), now).bytes(nonce);
  if (server) w.u8(ROLE_CODE[server.role]).addr(server.addr);
  return w.bytes(sig).finish();
}

export interface RegistrationProof {
  time: number;
  nonce: string;
  /** The server the proof is bound to; absent in an older home's unbound proof. */
  server?: ServerBinding;
}

/**
 * deregister.auth (issue 21 item 9): the registration proof's layout under its own tag
 * ("porthole-deregister-v2", always bound to the server), so neither stands in for the other.
 */
export function deregistrationAuth(
  id: Identity,
  homeId: string,
  now: number,
  server: ServerBinding,
): Uint8Array {
  return registrationAuth(id, homeId, now, server, 'porthole-deregister');
}

/** Checks a deregister proof (bound to a server: an unbound one is refused). */
export function verifyDeregistration(
  homeId: string,
  auth: Uint8Array,
): Verdict<RegistrationProof & { server: ServerBinding }> {
  const v = verifyRegistration(homeId, auth, 'porthole-deregister');
  if (v.ok && !v.server) return { ok: false, reason: 'unbound goodbye' };
  return v as Verdict<RegistrationProof & { server: ServerBinding }>;
}

/** Checks a signed registration; the caller applies the replay guard to time/nonce. */
export function verifyRegistration(
  homeId: string,
  auth: Uint8Array,
  tag = 'porthole-register',
): Verdict<RegistrationProof> {
  if (!DERIVED_ID.test(homeId))
    return { ok: false, reason: 'only key-derived home ids (ph-…) can be signed' };
  try {
    const r = new Reader(auth);
    const edPublic = new Uint8Array(r.bytes(32));
    const dhPublic = new Uint8Array(r.bytes(32));
    const time = readTime(r);
    const nonce = new Uint8Array(r.bytes(8));
    let server: ServerBinding | undefined;
    if (r.remaining > 64) {
      const code = r.u8();
      const role = (Object.keys(ROLE_CODE) as ServerRole[]).find((k) => ROLE_CODE[k] === code);
      if (!role) return { ok: false, reason: 'unknown server role' };
      server = { role, addr: r.addr() };
    }
    const sig = new Uint8Array(r.bytes(64));
    r.end();
    if (homeIdOf({ edPublic, dhPublic }) !== homeId)
      return { ok: false, reason: 'keys do not match the home id' };
    if (!verifyBytes(edPublic, registerTranscript(homeId, time, nonce, server, tag), sig))
      return { ok: false, reason: 'bad signature' };
    return {
      ok: true,
      time,
      nonce: Buffer.from(nonce).toString('hex'),
      ...(server ? { server } : {}),
    };
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
