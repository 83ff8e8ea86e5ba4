// The home's trust decisions, backed by its state dir: it signs registrations, lets only paired
// clients (or holders of a live pairing code) make it spray, and binds the Noise channel to the
// same keys. Pairing completes inside the handshake: the client proves the one-time secret over
// its own static key, and only then is it written to the authorized list.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { HomeTrust } from '../home/agent.js';
import type { MessageOf } from '../wire/messages.js';
import { AssistKind, registrationAuth, verifyAssist, verifyRelay } from './auth.js';
import { fingerprint, type Identity } from './keys.js';
import { RateLimiter } from './rate-limit.js';
import { ReplayGuard } from './replay.js';
import {
  addAuthorized,
  AuthorizedCache,
  listPendingCodes,
  markCodeUsed,
  type PendingCode,
  type State,
} from './state.js';

type Verdict = { ok: true } | { ok: false; reason: string };

const PAIR_TAG = 'porthole-pair-v1';

/** The pairing proof a client puts in Noise message 1: codeId(8) | clientEd(32) | mac(32). */
export function pairingProof(
  identity: Identity,
  codeIdHex: string,
  secret: Uint8Array,
): Uint8Array {
  const codeId = Buffer.from(codeIdHex, 'hex');
  const mac = createHmac('sha256', secret)
    .update(PAIR_TAG)
    .update(identity.dhPublic)
    .update(identity.edPublic)
    .digest();
  return new Uint8Array(Buffer.concat([codeId, identity.edPublic, mac]));
}

export class HomeTrustStore implements HomeTrust {
  private readonly authorized: AuthorizedCache;
  private readonly replay = new ReplayGuard();
  /** Sprays per client key: a paired client still cannot turn the home into a packet cannon. */
  private readonly perClient = new RateLimiter({ ratePerSec: 0.5, burst: 5, maxKeys: 10_000 });

  constructor(
    private readonly state: State,
    private readonly wallClock: () => number = Date.now,
  ) {
    this.authorized = new AuthorizedCache(state.dir);
  }

  get staticKeys(): { publicKey: Uint8Array; secretKey: Uint8Array } {
    return { publicKey: this.state.identity.dhPublic, secretKey: this.state.identity.dhSecret };
  }

  registrationAuth(homeId: string): Uint8Array {
    return registrationAuth(this.state.identity, homeId, this.wallClock());
  }

  private liveCode(codeIdHex: string | undefined): PendingCode | string {
    const code = listPendingCodes(this.state.dir).find((c) => c.id === codeIdHex);
    if (!code) return 'unknown pairing code (wrong code, or made for another home)';
    if (code.used)
      return 'this pairing code was already used; make a new one with `porthole home pair`';
    if (code.expiresAt <= this.wallClock())
      return 'this pairing code has expired; make a new one with `porthole home pair`';
    return code;
  }

  authorizeAssist(msg: MessageOf<'peerInfo'>): Verdict {
    return this.authorizeClaim(verifyAssist(this.state.homeId, msg.session, msg.client, msg.auth));
  }

  /** A relayed session is let in exactly as an assist would be (issue 10). */
  authorizeRelay(msg: MessageOf<'relayOffer'>): Verdict {
    return this.authorizeClaim(verifyRelay(this.state.homeId, msg.session, msg.auth));
  }

  private authorizeClaim(v: ReturnType<typeof verifyAssist>): Verdict {
    if (!v.ok) return { ok: false, reason: v.reason };
    const c = v.claim;
    if (!this.replay.accept(c.nonce, c.time, this.wallClock())) {
      return { ok: false, reason: 'stale or replayed request (check the clocks)' };
    }
    const key = Buffer.from(c.clientEd).toString('base64url');
    if (c.kind === AssistKind.Pairing) {
      const code = this.liveCode(c.codeId);
      if (typeof code === 'string') return { ok: false, reason: code };
      if (!c.macValid(new Uint8Array(Buffer.from(code.secret, 'base64url'))))
        return { ok: false, reason: 'wrong pairing code' };
    } else if (!this.authorized.byEdKey(c.clientEd)) {
      return { ok: false, reason: 'this client is not paired with the home (or was revoked)' };
    }
    if (!this.perClient.take(key, this.wallClock()))
      return { ok: false, reason: 'too many connects; wait a few seconds' };
    return { ok: true };
  }

  /** Noise responder's decision on the client's static key and message-1 payload. */
  authorizeChannel(remoteStatic: Uint8Array, payload: Uint8Array): Verdict {
    if (payload.length === 0) {
      return this.authorized.byDhKey(remoteStatic)
        ? { ok: true }
        : { ok: false, reason: 'this client is not paired with the home (or was revoked)' };
    }
    if (payload.length !== 8 + 32 + 32) return { ok: false, reason: 'malformed pairing proof' };
    const codeId = Buffer.from(payload.subarray(0, 8)).toString('hex');
    const clientEd = payload.subarray(8, 40);
    const mac = payload.subarray(40);
    const code = this.liveCode(codeId);
    if (typeof code === 'string') return { ok: false, reason: code };
    const expect = createHmac('sha256', Buffer.from(code.secret, 'base64url'))
      .update(PAIR_TAG)
      .update(remoteStatic)
      .update(clientEd)
      .digest();
    if (!timingSafeEqual(expect, Buffer.from(mac)))
      return { ok: false, reason: 'wrong pairing code' };
    markCodeUsed(this.state.dir, codeId);
    addAuthorized(this.state.dir, {
      edPublic: Buffer.from(clientEd).toString('base64url'),
      dhPublic: Buffer.from(remoteStatic).toString('base64url'),
      name: `client-${fingerprint(clientEd)}`,
      addedAt: new Date(this.wallClock()).toISOString(),
    });
    return { ok: true };
  }

  /** Revocation takes effect on live channels too: checked on every message. */
  stillAuthorized(remoteStatic: Uint8Array | undefined): boolean {
    return remoteStatic !== undefined && this.authorized.byDhKey(remoteStatic) !== undefined;
  }
}
