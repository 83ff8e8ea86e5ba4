// What the roles ask of trust, declared here so secure/ depends on nothing above it: the home
// agent and the connector take these shapes; HomeTrustStore and clientTrust() provide them.
import type { SocketAddr } from '../net/types.js';
import type { MessageOf } from '../wire/messages.js';
import type { ServerBinding } from './auth.js';

/** Why the home said no. The text sent to the client is derived from the kind (refusalText). */
export type TrustRefusal =
  | 'bad-signature'
  | 'replayed'
  | 'unknown-code'
  | 'code-used'
  | 'code-expired'
  | 'wrong-code'
  | 'not-paired'
  | 'rate-limited'
  | 'malformed-proof';

export type Verdict = { ok: true } | { ok: false; kind: TrustRefusal; reason: string };

const TEXT: Record<Exclude<TrustRefusal, 'bad-signature'>, string> = {
  replayed: 'stale or replayed request (check the clocks)',
  'unknown-code': 'unknown pairing code (wrong code, or made for another home)',
  'code-used': 'this pairing code was already used; make a new one with `porthole home pair`',
  'code-expired': 'this pairing code has expired; make a new one with `porthole home pair`',
  'wrong-code': 'wrong pairing code',
  'not-paired': 'this client is not paired with the home (or was revoked)',
  'rate-limited': 'too many connects; wait a few seconds',
  'malformed-proof': 'malformed pairing proof',
};

/** A refusal; `detail` is the signature check's own reason for 'bad-signature'. */
export function refuse(kind: TrustRefusal, detail = ''): Verdict {
  return { ok: false, kind, reason: kind === 'bad-signature' ? detail : TEXT[kind] };
}

/** The home's trust as the home agent uses it (structurally the agent's `HomeTrust`). */
export interface HomeTrust {
  registrationAuth(homeId: string, server?: ServerBinding): Uint8Array;
  authorizeAssist(msg: MessageOf<'peerInfo'>): Verdict;
}

/** The client's trust as the connector uses it (structurally the connector's `ClientTrust`). */
export interface ClientTrust {
  /** Proof over (home, session, the client's address as the rendezvous sees it). */
  assistAuth(homeId: string, session: string, observed: SocketAddr): Uint8Array;
  /** Issue 13: proof for a candidates query, over the client's own list (as encoded). */
  candidatesAuth?(homeId: string, session: string, list: Uint8Array): Uint8Array;
}
