// The client's relayed path (issue 10): asks the relay for a session to a home over UDP, TCP or
// WebSocket and, once the home accepted it, exposes it as a Path of kind 'relayed' that carries
// the same Noise frames a punched path would. Every wait has a timeout; every failure is a
// PortholeError with a relay-* kind (from the relay's close code when it gave one).
import { newSessionId } from '../net/tx-ids.js';
import type { PortholeError } from '../errors.js';
import { Retransmitter, type RetransmitOptions } from '../net/retransmit.js';
import type { Env, SocketAddr, TimerHandle } from '../net/types.js';
import type { Path } from '../net/path.js';
import { formatAddr } from '../wire/addr.js';
import { REQUEST_PAD, type Message, type MessageOf } from '../wire/messages.js';
import { MAX_EARLY } from '../wire/relay-messages.js';
import { TcpLink, UdpLink, WsLink, type RelayLink } from './client-links.js';
import { relayClosedError, relayError, type RelayErrorKind } from './errors.js';
import { RelayedPath } from './relayed-path.js';
import { followRedirect, MAX_REDIRECTS } from './redirect.js';

export type RelayTarget =
  | { transport: 'udp'; relay: SocketAddr }
  | { transport: 'tcp'; relay: SocketAddr }
  /** e.g. "ws://203.0.113.10:443/porthole" (wss:// through a TLS front). */
  | { transport: 'ws'; url: string };

export interface RelayPathOptions {
  homeId: string;
  /** relayOpen.auth for (home, session): clientTrust's relayAuth (secure/auth.ts). */
  auth(homeId: string, session: string): Uint8Array;
  /** Give up when the home has not accepted within this (default 6 s: past the relay's offer budget of 4.5 s). */
  openTimeoutMs?: number;
  /** relayOpen re-sends (UDP can lose it; over streams a repeat is answered, not re-offered). */
  retransmit?: RetransmitOptions;
  /** Empty frames this often keep the session (and a UDP mapping) alive; 0 = off. */
  keepaliveMs?: number;
}

/** A relayed path; `error` tells why it closed when the relay said so. */
export interface RelayClientPath extends Path {
  readonly session: string;
  readonly transport: RelayTarget['transport'];
  readonly error: PortholeError<RelayErrorKind> | undefined;
  readonly closed: boolean;
}

export type RelayOpenResult =
  { ok: true; path: RelayClientPath } | { ok: false; error: PortholeError<RelayErrorKind> };

function linkFor(env: Env, target: RelayTarget): RelayLink {
  if (target.transport === 'udp') return new UdpLink(env.net, target.relay);
  if (target.transport === 'tcp') return new TcpLink(target.relay);
  return new WsLink(target.url);
}

/**
 * Opens one relayed session; `done` is called exactly once, when the home accepted (or not).
 * Returns a cancel function. With `opts.early`, the path is handed out at once and the first
 * frame sent on it synchronously (Noise message 1, sent as the channel is made) rides inside
 * relayOpen: the home answers the handshake with its accept, so the secure channel is ready one
 * client ⇄ relay ⇄ home round trip after the start. Frames sent before the accept go out as
 * relayData and are dropped by the relay (Noise re-sends message 1 on its own).
 * A relayRedirect (from the relay asked, for this session and tx: the link filters the sender)
 * moves the request, with the same early frame, to the relay it names, at most MAX_REDIRECTS
 * times; a redirect to an unusable address ends the open with 'relay-redirect'.
 */
export function openRelayPath(
  env: Env,
  target: RelayTarget,
  opts: RelayPathOptions & { early?: (path: RelayClientPath) => void },
  done: (r: RelayOpenResult) => void,
): () => void {
  const session = newSessionId(env.rng);
  const tx = env.rng.int(0xffffffff);
  let current = target;
  let link = linkFor(env, target);
  const path = new ClientPath(env, link, session, opts.keepaliveMs ?? 25_000);
  let finished = false;
  let redirects = 0;
  let opener: Retransmitter | undefined;

  const finish = (r: RelayOpenResult): void => {
    if (finished) return;
    finished = true;
    opener?.cancel();
    timeout.cancel();
    if (!r.ok) path.ended(r.error);
    done(r);
  };
  const auth = opts.auth(opts.homeId, session);
  let early: Uint8Array = new Uint8Array(0);
  const startOpener = (): void => {
    opener?.cancel();
    opener = new Retransmitter(
      env.clock,
      opts.retransmit ?? { rtoMs: 400, maxRtoMs: 1600, maxSends: 5 },
      () =>
        link.send(
          { type: 'relayOpen', tx, homeId: opts.homeId, session, auth, early },
          REQUEST_PAD,
        ),
      () => {},
    ).start();
  };
  const timeout = env.clock.setTimer(opts.openTimeoutMs ?? 6000, () =>
    finish({ ok: false, error: relayError('relay-timeout', { relay: link.remote }) }),
  );

  const redirect = (msg: MessageOf<'relayRedirect'>): void => {
    if (finished || msg.tx !== tx) return;
    const next = followRedirect(current, msg);
    if (!next || redirects >= MAX_REDIRECTS) {
      const why = next
        ? `more than ${MAX_REDIRECTS} redirects`
        : `no usable ${current.transport} address in a redirect to ${formatAddr(msg.relay)}`;
      return finish({
        ok: false,
        error: relayError('relay-redirect', { why, relay: link.remote }),
      });
    }
    redirects++;
    const old = link;
    current = next;
    link = linkFor(env, next);
    attach(link);
    path.moveTo(link);
    old.close();
    startOpener();
  };
  const attach = (l: RelayLink): void => {
    l.onMessage((msg: Message) => {
      if (l !== link || !('session' in msg) || msg.session !== session) return;
      if (msg.type === 'relayReady' && !finished) {
        path.markReady();
        finish({ ok: true, path });
      } else if (msg.type === 'relayData') {
        path.deliver(msg.payload);
      } else if (msg.type === 'relayRedirect') {
        redirect(msg);
      } else if (msg.type === 'relayClosed') {
        const error = relayClosedError(msg.code, msg.message);
        if (finished) path.ended(error);
        else finish({ ok: false, error });
      }
    });
    l.onClose((why) => {
      if (l !== link) return;
      const error = relayError('relay-transport', { why, relay: l.remote });
      if (finished) path.ended(error);
      else finish({ ok: false, error });
    });
  };
  attach(link);
  // Closed by its owner before the home answered (e.g. the race was won elsewhere): stop asking.
  path.onClose(() => finish({ ok: false, error: relayError('relay-timeout', { why: 'closed' }) }));
  if (opts.early) early = path.captureFirst(() => opts.early?.(path));
  startOpener();
  return () => {
    finish({ ok: false, error: relayError('relay-timeout', { why: 'cancelled' }) });
  };
}

const LINGER_MS = 50;

class ClientPath extends RelayedPath implements RelayClientPath {
  error: PortholeError<RelayErrorKind> | undefined;
  private keepalive: TimerHandle | undefined;
  /** The link in use: a redirect (before the accept) moves the path to another one. */
  private readonly box: { link: RelayLink };

  constructor(
    private readonly env: Env,
    link: RelayLink,
    session: string,
    private readonly keepaliveMs: number,
  ) {
    const box = { link };
    super(
      session,
      link.remote,
      (m) => box.link.send(m),
      () => {
        this.keepalive?.cancel();
        // A moment for the goodbye (relayClosed) to leave before the socket goes.
        env.clock.setTimer(LINGER_MS, () => box.link.close());
      },
    );
    this.box = box;
  }

  get transport(): RelayTarget['transport'] {
    return this.box.link.kind;
  }

  /** Redirected: frames go through `link` from now on. */
  moveTo(link: RelayLink): void {
    this.box.link = link;
    this.label = link.remote;
  }

  private capture: Uint8Array[] | undefined;

  /** Runs `fn`; the first frame it sends is returned instead of sent (it rides in relayOpen). */
  captureFirst(fn: () => void): Uint8Array {
    const box: Uint8Array[] = [];
    this.capture = box;
    try {
      fn();
    } finally {
      this.capture = undefined;
    }
    // Too large to ride along (never for IK message 1): Noise re-sends it once the path is open.
    const [first] = box;
    return first && first.length <= MAX_EARLY ? first : new Uint8Array(0);
  }

  override send(data: Uint8Array): void {
    if (this.capture && this.capture.length === 0) this.capture.push(data.slice());
    else super.send(data);
  }

  /** The home accepted: keepalives start. */
  markReady(): void {
    this.scheduleKeepalive();
  }

  ended(error: PortholeError<RelayErrorKind>): void {
    this.error ??= error;
    this.remoteClosed(error.message);
  }

  private scheduleKeepalive(): void {
    if (this.keepaliveMs <= 0) return;
    this.keepalive = this.env.clock.setTimer(this.keepaliveMs, () => {
      this.box.link.send({ type: 'relayData', session: this.session, payload: new Uint8Array(0) });
      this.scheduleKeepalive();
    });
  }
}
