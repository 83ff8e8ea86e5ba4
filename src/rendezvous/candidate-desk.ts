// The rendezvous' side of issue 13's candidates: it keeps each home's extra direct addresses
// (router-mapped, IPv6) beside its registration, hands them to a client that asks, passes the
// client's IPv6 addresses to the home (so it knocks towards them), and checks a home's mapped
// address by sending one nonce to it from a socket the home never talked to.
//
// Abuse bounds: lists only from the registered home's own address; a check only towards the
// requesting home's observed IP, one packet per request, a few per minute per home; queries per
// home rate-limited like assists (each makes the home send a few knocks).
//
// A signed home (key-derived id) is never answered from here: its addresses go only to clients
// it would accept, and only it knows its pairings. The query (with the client's signature) is
// forwarded to it; its `peerCandidates` answer (same tx) goes back to the client, never larger
// than the client's query. Lists a signed home sends are not stored (docs/candidates.md).
import type { Env, SocketAddr } from '../net/types.js';
import { DERIVED_ID } from '../secure/keys.js';
import { RateLimiter } from '../util/rate-limit.js';
import { sameAddr } from '../wire/addr.js';
import type { Candidate } from '../wire/candidates.js';
import { encode, ErrorCode, type Message, type MessageOf } from '../wire/messages.js';

export interface DeskIo {
  /** The registered home's observed address, if it is registered. */
  homeAddr(homeId: string): SocketAddr | undefined;
  /** Answer a request (never larger than it). */
  reply(msg: Message, to: SocketAddr, size: number): void;
  /** Originate a message (to a registered home). */
  send(msg: Message, to: SocketAddr): void;
  nextTx(): number;
  drop(reason: string): void;
}

/** A fresh socket exists this long after sending the nonce (node sends asynchronously). */
const NONCE_SOCKET_MS = 1000;
/** Forwarded queries awaiting the home's answer: at most this many, each this long. */
const MAX_FORWARDED = 1024;
const FORWARD_TTL_MS = 3000;

interface Forwarded {
  homeId: string;
  client: SocketAddr;
  tx: number;
  size: number;
  until: number;
}

export class CandidateDesk {
  private readonly lists = new Map<string, { from: SocketAddr; list: Candidate[] }>();
  private readonly checks = new RateLimiter({ ratePerSec: 0.2, burst: 4, maxKeys: 10_000 });
  private readonly queries = new RateLimiter({ ratePerSec: 5, burst: 20, maxKeys: 100_000 });
  private readonly forwarded = new Map<number, Forwarded>();
  nonceSent = 0;

  constructor(
    private readonly env: Env,
    private readonly io: DeskIo,
    private readonly maxHomes: number,
  ) {}

  get size(): number {
    return this.lists.size;
  }

  onCandidates(msg: MessageOf<'candidates'>, from: SocketAddr): void {
    const home = this.io.homeAddr(msg.homeId);
    if (!home || !sameAddr(home, from)) return this.io.drop('candidates-not-registered');
    if (DERIVED_ID.test(msg.homeId)) return; // a signed home answers forwarded queries itself
    if (!this.lists.has(msg.homeId) && this.lists.size >= this.maxHomes) this.prune();
    if (!this.lists.has(msg.homeId) && this.lists.size >= this.maxHomes)
      return this.io.drop('candidates-full');
    this.lists.set(msg.homeId, { from, list: msg.list });
  }

  /** The home's list; the client's IPv6 addresses go on to the home with the session. */
  onQuery(msg: MessageOf<'candidatesQuery'>, from: SocketAddr, size: number): void {
    const home = this.io.homeAddr(msg.homeId);
    if (!home) {
      const text = `home ${msg.homeId} is not registered`;
      return this.io.reply(
        { type: 'error', tx: msg.tx, code: ErrorCode.UnknownHome, message: text },
        from,
        size,
      );
    }
    if (!this.queries.take(msg.homeId, this.env.clock.now())) {
      this.io.drop('candidates-rate-limited');
      const text = 'too many requests for this home; retry shortly';
      return this.io.reply(
        { type: 'error', tx: msg.tx, code: ErrorCode.RateLimited, message: text },
        from,
        size,
      );
    }
    if (DERIVED_ID.test(msg.homeId)) return this.forward(msg, home, from, size);
    const stored = this.lists.get(msg.homeId);
    const list = stored && sameAddr(stored.from, home) ? stored.list : [];
    this.io.reply({ type: 'peerCandidates', tx: msg.tx, session: msg.session, list }, from, size);
    const v6 = msg.list.filter((c) => c.kind === 'ipv6');
    if (v6.length > 0 && list.some((c) => c.kind === 'ipv6')) {
      const tx = this.io.nextTx();
      this.io.send({ type: 'peerCandidates', tx, session: msg.session, list: v6 }, home);
    }
  }

  /** To a signed home: it checks the client's signature and answers (or sends an empty list). */
  private forward(
    msg: MessageOf<'candidatesQuery'>,
    home: SocketAddr,
    client: SocketAddr,
    size: number,
  ): void {
    const now = this.env.clock.now();
    for (const [k, f] of this.forwarded) {
      if (f.until > now && this.forwarded.size < MAX_FORWARDED) break;
      this.forwarded.delete(k); // oldest first (insertion order)
    }
    const tx = this.io.nextTx();
    this.forwarded.set(tx, {
      homeId: msg.homeId,
      client,
      tx: msg.tx,
      size,
      until: now + FORWARD_TTL_MS,
    });
    this.io.send({ ...msg, tx }, home);
  }

  /** A signed home's answer to a forwarded query: on to the client that asked. */
  onHomeAnswer(msg: MessageOf<'peerCandidates'>, from: SocketAddr): void {
    const f = this.forwarded.get(msg.tx);
    const home = f && this.io.homeAddr(f.homeId);
    if (!f || !home || !sameAddr(home, from) || f.until < this.env.clock.now())
      return this.io.drop('candidates-answer-unexpected');
    this.forwarded.delete(msg.tx);
    this.io.reply({ ...msg, tx: f.tx }, f.client, f.size);
  }

  onMapCheck(msg: MessageOf<'mapCheck'>, from: SocketAddr): void {
    const home = this.io.homeAddr(msg.homeId);
    if (!home || !sameAddr(home, from)) return this.io.drop('mapcheck-not-registered');
    // Only towards the home's own public IP: the check can never aim packets at anyone else.
    if (msg.external.ip !== from.ip) return this.io.drop('mapcheck-foreign-ip');
    if (!this.checks.take(msg.homeId, this.env.clock.now()))
      return this.io.drop('mapcheck-rate-limited');
    const ep = this.env.net.open({});
    ep.onError(() => {});
    ep.send(encode({ type: 'mapNonce', nonce: msg.nonce }), msg.external);
    this.nonceSent++;
    this.env.clock.setTimer(NONCE_SOCKET_MS, () => ep.close());
  }

  /** Forget lists of homes that are no longer registered. */
  private prune(): void {
    for (const [id, e] of this.lists) {
      const home = this.io.homeAddr(id);
      if (!home || !sameAddr(home, e.from)) this.lists.delete(id);
    }
  }
}
