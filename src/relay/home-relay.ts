// The home's side of relayed sessions (issue 10). The relay's messages arrive on the socket the
// home registered from (its keepalive mapping); this piece decides on each offer exactly as for
// an assist (the injected `authorize`, i.e. HomeTrustStore.authorizeRelay: only paired clients
// or a live pairing code), and hands each accepted session on as a Path. Nothing of a session
// reaches the caller before it is accepted; the Noise channel above then checks the client key.
import type { SocketAddr } from '../net/types.js';
import type { Path } from '../net/path.js';
import { formatAddr, sameAddr } from '../wire/addr.js';
import type { Message, MessageOf } from '../wire/messages.js';
import { RelayedPath } from './relayed-path.js';

type Verdict = { ok: true } | { ok: false; reason: string };

export interface HomeRelayOptions {
  /** Sends from the home's registered socket. */
  send(msg: Message, to: SocketAddr): void;
  /** Only the relays the home registered with may offer sessions. */
  isRelay(from: SocketAddr): boolean;
  authorize(offer: MessageOf<'relayOffer'>): Verdict;
  /** A new accepted session; `client` is the client's address as the relay saw it. */
  onPath(path: Path, client: SocketAddr): void;
  /** Live relayed sessions at once; past it offers are refused. */
  maxSessions?: number;
}

export interface HomeRelayStats {
  offers: number;
  accepted: number;
  refused: number;
  dropped: number;
}

/** Decisions remembered for repeated offers (the replay guard would refuse a second check). */
const MAX_DECISIONS = 512;

export class HomeRelay {
  private readonly paths = new Map<string, { path: RelayedPath; relay: SocketAddr }>();
  private readonly decisions = new Map<string, Verdict>();
  readonly stats: HomeRelayStats = { offers: 0, accepted: 0, refused: 0, dropped: 0 };

  constructor(private readonly opts: HomeRelayOptions) {}

  /** True when `msg` was a relay message (handled or dropped here). */
  handle(msg: Message, from: SocketAddr): boolean {
    switch (msg.type) {
      case 'relayOffer':
        if (this.opts.isRelay(from)) this.onOffer(msg, from);
        else this.stats.dropped++;
        return true;
      case 'relayData': {
        const live = this.paths.get(msg.session);
        if (live && sameAddr(live.relay, from)) live.path.deliver(msg.payload);
        else this.stats.dropped++;
        return true;
      }
      case 'relayClosed': {
        const live = this.paths.get(msg.session);
        if (live && sameAddr(live.relay, from)) live.path.remoteClosed(msg.message);
        else this.stats.dropped++;
        return true;
      }
      case 'relayOpen':
      case 'relayAccept':
      case 'relayRefuse':
      case 'relayReady':
        this.stats.dropped++;
        return true;
      default:
        return false;
    }
  }

  get sessions(): number {
    return this.paths.size;
  }

  close(): void {
    for (const { path } of [...this.paths.values()]) path.close();
  }

  private onOffer(msg: MessageOf<'relayOffer'>, relay: SocketAddr): void {
    this.stats.offers++;
    const known = this.decisions.get(msg.session);
    const verdict = known ?? this.decide(msg);
    if (!known) {
      if (this.decisions.size >= MAX_DECISIONS)
        this.decisions.delete(this.decisions.keys().next().value as string);
      this.decisions.set(msg.session, verdict);
    }
    if (!verdict.ok) {
      return this.opts.send(
        { type: 'relayRefuse', tx: msg.tx, session: msg.session, message: verdict.reason },
        relay,
      );
    }
    const path = known ? undefined : this.openPath(msg, relay);
    this.opts.send({ type: 'relayAccept', tx: msg.tx, session: msg.session }, relay);
    // After the accept, so the answer (Noise message 2) reaches a relay that knows the session.
    if (path && msg.early.length > 0) path.deliver(msg.early);
  }

  private decide(msg: MessageOf<'relayOffer'>): Verdict {
    const verdict =
      this.paths.size >= (this.opts.maxSessions ?? 64)
        ? { ok: false as const, reason: 'the home has too many relayed sessions' }
        : this.opts.authorize(msg);
    if (verdict.ok) this.stats.accepted++;
    else this.stats.refused++;
    return verdict;
  }

  private openPath(msg: MessageOf<'relayOffer'>, relay: SocketAddr): RelayedPath {
    const path = new RelayedPath(
      msg.session,
      `relay udp ${formatAddr(relay)}`,
      (m) => this.opts.send(m, relay),
      () => this.paths.delete(msg.session),
    );
    this.paths.set(msg.session, { path, relay });
    this.opts.onPath(path, msg.client);
    return path;
  }
}
