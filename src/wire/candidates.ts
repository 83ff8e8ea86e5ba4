// Extra direct ways to a peer (issue 13), beside the NAT mapping the rendezvous observes: the
// home's router-mapped address (verified) and global IPv6 addresses of either side. Own message
// types at the end of the union, so register/assist/peerInfo/ready stay as they are.
//
//   candidates       home → rendezvous: my list (stored with the registration; resent periodically)
//   candidatesQuery  client → rendezvous, padded: the home's list please; here are my IPv6 ones
//                    (auth: the client's signature, docs/candidates.md; empty when unpaired);
//                    rendezvous → home, for a signed home: the same query, to answer or refuse
//   peerCandidates   rendezvous → client (answer), rendezvous → home (the client's list, to knock),
//                    signed home → rendezvous (its answer to a forwarded query, same tx)
//   mapCheck         home → rendezvous: send `nonce` to `external` (my mapped address)
//   mapNonce         rendezvous (fresh socket) → external: the nonce
import { isIPv4, isIPv6 } from './ip.js';
import type { SocketAddr } from './socket-addr.js';
import { DecodeError, Writer, type Reader } from './codec.js';
import { MAX_AUTH } from './limits.js';
import { readSession, writeSession } from './session.js';

export type CandidateKind = 'mapped' | 'ipv6';
const KINDS: readonly CandidateKind[] = ['mapped', 'ipv6'];

export interface Candidate {
  readonly kind: CandidateKind;
  readonly addr: SocketAddr;
}

/** Per list; a longer list is refused on decode and cut on encode. */
export const MAX_CANDIDATES = 6;
/** candidatesQuery is padded to this: covers the largest peerCandidates answer (no amplification). */
export const CANDIDATES_PAD = 160;

export type CandidateMessage =
  | { type: 'candidates'; tx: number; homeId: string; list: Candidate[] }
  | {
      type: 'candidatesQuery';
      tx: number;
      homeId: string;
      session: string;
      list: Candidate[];
      auth: Uint8Array;
    }
  | { type: 'peerCandidates'; tx: number; session: string; list: Candidate[] }
  | { type: 'mapCheck'; tx: number; homeId: string; external: SocketAddr; nonce: string }
  | { type: 'mapNonce'; nonce: string };

export const CANDIDATE_TYPE_CODES = {
  candidates: 23,
  candidatesQuery: 24,
  peerCandidates: 25,
  mapCheck: 26,
  mapNonce: 27,
} as const;

/** A mapped candidate is a public IPv4 address; an ipv6 one a real IPv6 address (not v4-mapped). */
export function validCandidate(c: Candidate): boolean {
  if (c.addr.port === 0) return false;
  if (c.kind === 'mapped') return isIPv4(c.addr.ip);
  return isIPv6(c.addr.ip) && !/^::ffff:/i.test(c.addr.ip) && !c.addr.ip.includes('%');
}

function writeList(w: Writer, list: readonly Candidate[]): void {
  const ok = list.filter(validCandidate).slice(0, MAX_CANDIDATES);
  w.u8(ok.length);
  for (const c of ok) w.u8(KINDS.indexOf(c.kind)).addr(c.addr);
}

function readList(r: Reader): Candidate[] {
  const n = r.u8();
  if (n > MAX_CANDIDATES) throw new DecodeError(`${n} candidates (max ${MAX_CANDIDATES})`);
  const list: Candidate[] = [];
  for (let i = 0; i < n; i++) {
    const kind = KINDS[r.u8()];
    if (!kind) throw new DecodeError('unknown candidate kind');
    const c = { kind, addr: r.addr() };
    if (!validCandidate(c)) throw new DecodeError(`bad ${kind} candidate`);
    list.push(c);
  }
  return list;
}

/** The list as it travels: what a signed query's transcript covers (auth.ts). */
export function candidateListBytes(list: readonly Candidate[]): Uint8Array {
  const w = new Writer();
  writeList(w, list);
  return w.finish();
}

export function encodeCandidateMessage(w: Writer, msg: CandidateMessage): void {
  switch (msg.type) {
    case 'candidates':
      w.u32(msg.tx).str(msg.homeId);
      return writeList(w, msg.list);
    case 'candidatesQuery':
      w.u32(msg.tx).str(msg.homeId);
      writeSession(w, msg.session);
      writeList(w, msg.list);
      return void w.varBytes(msg.auth);
    case 'peerCandidates':
      w.u32(msg.tx);
      writeSession(w, msg.session);
      return writeList(w, msg.list);
    case 'mapCheck':
      w.u32(msg.tx).str(msg.homeId).addr(msg.external);
      return writeSession(w, msg.nonce);
    case 'mapNonce':
      return writeSession(w, msg.nonce);
  }
}

export function decodeCandidateMessage(
  type: CandidateMessage['type'],
  r: Reader,
  homeIdOf: (r: Reader) => string,
): CandidateMessage {
  switch (type) {
    case 'candidates':
      return { type, tx: r.u32(), homeId: homeIdOf(r), list: readList(r) };
    case 'candidatesQuery':
      return {
        type,
        tx: r.u32(),
        homeId: homeIdOf(r),
        session: readSession(r),
        list: readList(r),
        auth: r.varBytes(MAX_AUTH),
      };
    case 'peerCandidates':
      return { type, tx: r.u32(), session: readSession(r), list: readList(r) };
    case 'mapCheck': {
      const tx = r.u32();
      const homeId = homeIdOf(r);
      const external = r.addr();
      if (!isIPv4(external.ip) || external.port === 0) throw new DecodeError('bad mapped address');
      return { type, tx, homeId, external, nonce: readSession(r) };
    }
    case 'mapNonce':
      return { type, nonce: readSession(r) };
  }
}
