// The client's relayed path (issue 10): asks the relay for a session to a home over UDP, TCP or
// WebSocket and, once the home accepted it, exposes it as a Path of kind 'relayed' that carries
// the same Noise frames a punched path would. Every wait has a timeout; every failure is a
// PortholeError with a relay-* kind (from the relay's close code when it gave one).
import type { PortholeError } from '../errors.js';
import { Retransmitter, type RetransmitOptions } from '../net/retransmit.js';
import type { Env, SocketAddr, TimerHandle } from '../net/types.js';
import type { Path } from '../proto/path.js';
import { REQUEST_PAD, type Message } from '../wire/messages.js';
import { TcpLink, UdpLink, WsLink, type RelayLink } from './client-links.js';
import { relayClosedError, relayError, type RelayErrorKind } from './errors.js';
import { RelayedPath } from './relayed-path.js';

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

/** Opens one relayed session; `done` is called exactly once. Returns a cancel function. */
export function openRelayPath(
  env: Env,
  target: RelayTarget,
  opts: RelayPathOptions,
  done: (r: RelayOpenResult) => void,
): () => void {
  const session = Buffer.from(env.rng.bytes(8)).toString('hex');
  const tx = env.rng.int(0xffffffff);
  const link = linkFor(env, target);
  let path: ClientPath | undefined;
  let finished = false;
  const timers: TimerHandle[] = [];

  const finish = (r: RelayOpenResult): void => {
    if (finished) return;
    finished = true;
    opener.cancel();
    for (const t of timers) t.cancel();
    if (!r.ok) link.close();
    done(r);
  };
  const auth = opts.auth(opts.homeId, session);
  const opener = new Retransmitter(
    env.clock,
    opts.retransmit ?? { rtoMs: 400, maxRtoMs: 1600, maxSends: 5 },
    () => link.send({ type: 'relayOpen', tx, homeId: opts.homeId, session, auth }, REQUEST_PAD),
    () => {},
  );
  timers.push(
    env.clock.setTimer(opts.openTimeoutMs ?? 6000, () =>
      finish({ ok: false, error: relayError('relay-timeout', { relay: link.remote }) }),
    ),
  );

  link.onMessage((msg: Message) => {
    if (!('session' in msg) || msg.session !== session) return;
    if (msg.type === 'relayReady' && !path && !finished) {
      path = new ClientPath(env, link, session, opts.keepaliveMs ?? 25_000);
      finish({ ok: true, path });
    } else if (msg.type === 'relayData') {
      path?.deliver(msg.payload);
    } else if (msg.type === 'relayClosed') {
      const error = relayClosedError(msg.code, msg.message);
      if (path) path.ended(error);
      else finish({ ok: false, error });
    }
  });
  link.onClose((why) => {
    const error = relayError('relay-transport', { why, relay: link.remote });
    if (path) path.ended(error);
    else finish({ ok: false, error });
  });
  opener.start();
  return () => {
    finish({ ok: false, error: relayError('relay-timeout', { why: 'cancelled' }) });
  };
}

const LINGER_MS = 50;

class ClientPath extends RelayedPath implements RelayClientPath {
  readonly transport: RelayTarget['transport'];
  error: PortholeError<RelayErrorKind> | undefined;
  private keepalive: TimerHandle | undefined;

  constructor(
    private readonly env: Env,
    private readonly link: RelayLink,
    session: string,
    private readonly keepaliveMs: number,
  ) {
    super(
      session,
      link.remote,
      (m) => link.send(m),
      () => {
        this.keepalive?.cancel();
        // A moment for the goodbye (relayClosed) to leave before the socket goes.
        env.clock.setTimer(LINGER_MS, () => link.close());
      },
    );
    this.transport = link.kind;
    this.scheduleKeepalive();
  }

  ended(error: PortholeError<RelayErrorKind>): void {
    this.error ??= error;
    this.remoteClosed(error.message);
  }

  private scheduleKeepalive(): void {
    if (this.keepaliveMs <= 0) return;
    this.keepalive = this.env.clock.setTimer(this.keepaliveMs, () => {
      this.link.send({ type: 'relayData', session: this.session, payload: new Uint8Array(0) });
      this.scheduleKeepalive();
    });
  }
}
