// The home's trust decisions, backed by its state dir: it signs registrations, lets only paired
// clients (or holders of a live pairing code) make it spray, and binds the Noise channel to the
// same keys. Pairing completes inside the handshake: the client proves the one-time secret over
// its own static key, and only then is it written to the authorized list.
import type { MessageOf } from '../wire/messages.js';
import { RateLimiter } from '../util/rate-limit.js';
import {
  AssistKind,
  deregistrationAuth,
  registrationAuth,
  type ServerBinding,
  verifyAssist,
  verifyCandidates,
  verifyRelay,
} from './auth.js';
import { candidateListBytes } from '../wire/candidates.js';
import { fingerprint } from './keys.js';
import { parsePairingProof } from './pairing-proof.js';
import { ReplayGuard } from './replay.js';
import {
  addAuthorized,
  AuthorizedCache,
  listPendingCodes,
  markCodeUsed,
  type PendingCode,
  type State,
} from './state.js';
import { refuse, type HomeTrust, type TrustRefusal, type Verdict } from './trust.js';

export class HomeTrustStore implements HomeTrust {
  private readonly authorized: AuthorizedCache;
  private readonly replay = new ReplayGuard();
  /** Sprays per client key: a paired client still cannot turn the home into a packet cannon. */
  private readonly perClient = new RateLimiter({ ratePerSec: 0.5, burst: 5, maxKeys: 10_000 });
  /** Candidates queries (issue 13) have their own budget: one comes before every assist. */
  private readonly perClientQuery = new RateLimiter({ ratePerSec: 0.5, burst: 5, maxKeys: 10_000 });

  constructor(
    private readonly state: State,
    private readonly wallClock: () => number = Date.now,
  ) {
    this.authorized = new AuthorizedCache(state.dir);
  }

  get staticKeys(): { publicKey: Uint8Array; secretKey: Uint8Array } {
    return { publicKey: this.state.identity.dhPublic, secretKey: this.state.identity.dhSecret };
  }

  registrationAuth(homeId: string, server?: ServerBinding): Uint8Array {
    return registrationAuth(this.state.identity, homeId, this.wallClock(), server);
  }

  deregistrationAuth(homeId: string, server: ServerBinding): Uint8Array {
    return deregistrationAuth(this.state.identity, homeId, this.wallClock(), server);
  }

  private liveCode(codeIdHex: string | undefined): PendingCode | TrustRefusal {
    const code = listPendingCodes(this.state.dir).find((c) => c.id === codeIdHex);
    if (!code) return 'unknown-code';
    if (code.used) return 'code-used';
    if (code.expiresAt <= this.wallClock()) return 'code-expired';
    return code;
  }

  authorizeAssist(msg: MessageOf<'peerInfo'>): Verdict {
    return this.authorizeClaim(verifyAssist(this.state.homeId, msg.session, msg.client, msg.auth));
  }

  /** A relayed session is let in exactly as an assist would be (issue 10). */
  authorizeRelay(msg: MessageOf<'relayOffer'>): Verdict {
    return this.authorizeClaim(verifyRelay(this.state.homeId, msg.session, msg.auth));
  }

  /**
   * Issue 13: the home's addresses go only to a client this home would accept for an assist
   * (paired, or holding a live pairing code); the signature also covers the client's list.
   */
  authorizeCandidates(msg: MessageOf<'candidatesQuery'>): Verdict {
    const list = candidateListBytes(msg.list);
    const v = verifyCandidates(this.state.homeId, msg.session, list, msg.auth);
    return this.authorizeClaim(v, this.perClientQuery);
  }

  private authorizeClaim(
    v: ReturnType<typeof verifyAssist>,
    limiter: RateLimiter = this.perClient,
  ): Verdict {
    if (!v.ok) return refuse('bad-signature', v.reason);
    const c = v.claim;
    if (!this.replay.accept(c.nonce, c.time, this.wallClock())) return refuse('replayed');
    const key = Buffer.from(c.clientEd).toString('base64url');
    if (c.kind === AssistKind.Pairing) {
      const code = this.liveCode(c.codeId);
      if (typeof code === 'string') return refuse(code);
      if (!c.macValid(secretOf(code))) return refuse('wrong-code');
    } else if (!this.authorized.byEdKey(c.clientEd)) {
      return refuse('not-paired');
    }
    if (!limiter.take(key, this.wallClock())) return refuse('rate-limited');
    return { ok: true };
  }

  /** Noise responder's decision on the client's static key and message-1 payload. */
  authorizeChannel(remoteStatic: Uint8Array, payload: Uint8Array): Verdict {
    if (payload.length === 0)
      return this.authorized.byDhKey(remoteStatic) ? { ok: true } : refuse('not-paired');
    const claim = parsePairingProof(payload, remoteStatic);
    if (!claim) return refuse('malformed-proof');
    const { codeId, clientEd, name } = claim;
    const code = this.liveCode(codeId);
    if (typeof code === 'string') return refuse(code);
    if (!claim.verify(secretOf(code))) return refuse('wrong-code');
    markCodeUsed(this.state.dir, codeId);
    addAuthorized(this.state.dir, {
      edPublic: Buffer.from(clientEd).toString('base64url'),
      dhPublic: Buffer.from(remoteStatic).toString('base64url'),
      name: name ?? `client-${fingerprint(clientEd)}`,
      addedAt: new Date(this.wallClock()).toISOString(),
    });
    return { ok: true };
  }

  /** The paired client's fingerprint (as `home clients` shows it), by its Noise static key. */
  fingerprintOf(remoteStatic: Uint8Array | undefined): string | undefined {
    const c = remoteStatic ? this.authorized.byDhKey(remoteStatic) : undefined;
    return c ? fingerprint(Buffer.from(c.edPublic, 'base64url')) : undefined;
  }

  /**
   * Revocation takes effect on live channels too: checked on every message, against the paired
   * list as read at most REVOKE_FRESH_MS ago (a revocation lands within that).
   */
  stillAuthorized(remoteStatic: Uint8Array | undefined): boolean {
    return (
      remoteStatic !== undefined &&
      this.authorized.byDhKey(remoteStatic, REVOKE_FRESH_MS) !== undefined
    );
  }
}

/** How stale the paired list may be on the per-message revocation check. */
const REVOKE_FRESH_MS = 100;

const secretOf = (code: PendingCode): Uint8Array =>
  new Uint8Array(Buffer.from(code.secret, 'base64url'));
