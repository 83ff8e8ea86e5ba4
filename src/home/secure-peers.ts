// The home's side of every connection: each client that reaches it gets a Noise channel bound to
// the paired keys; only a completed, authorized handshake is handed to the application. A client
// revoked while connected is cut off at its next message, and (with a clock) within
// REVOKE_CHECK_MS while it was heard from recently, by an authenticated close that tells it why.
import type { Clock, SocketAddr, TimerHandle } from '../net/types.js';
import type { MessageChannel } from '../net/channel.js';
import type { HomeTrustStore } from '../secure/home-trust.js';
import { secureServer } from '../secure/noise-channel.js';
import type { HomeAgent } from './agent.js';
import { servePeerChannels } from './peer-channels.js';

/** `client`: the client's Noise static key (base64url) in trust mode; undefined in open mode. */
export type AppHandler = (channel: MessageChannel, peer: SocketAddr, client?: string) => void;

/** How often a live channel's key is checked against the authorized list (a stat of one file). */
const REVOKE_CHECK_MS = 250;
/** A channel not heard from this long stops being checked (until its next message). */
const WATCH_IDLE_MS = 120_000;

/** Plain (open mode) or encrypted (trust mode) application channels, one per client. */
export function serveApp(
  agent: HomeAgent,
  trust: HomeTrustStore | undefined,
  app: AppHandler,
  clock?: Clock,
): ReturnType<typeof servePeerChannels> {
  // Punched and relayed clients alike (a relayed one may later move onto a punched path, a phone
  // onto a WebRTC data channel).
  return servePeerChannels(agent, (plain, peer) => serveChannel(plain, peer, trust, app, clock));
}

/**
 * One client's channel, whatever path carries it (a punched peer channel, a relayed Path): in
 * trust mode only a completed, authorized Noise handshake reaches `app`.
 */
export function serveChannel(
  plain: MessageChannel,
  peer: SocketAddr,
  trust: HomeTrustStore | undefined,
  app: AppHandler,
  clock?: Clock,
): void {
  if (!trust) return app(plain, peer);
  const sec = secureServer(plain, {
    staticKeys: trust.staticKeys,
    authorize: (rs, payload) => trust.authorizeChannel(rs, payload),
  });
  const revoked = (): void => sec.closeWith('revoked');
  let timer: TimerHandle | undefined;
  let heard = clock?.now() ?? 0;
  const tick = (): void => {
    timer = undefined;
    if (!trust.stillAuthorized(sec.remoteStatic)) return revoked();
    if (clock && clock.now() - heard < WATCH_IDLE_MS) timer = clock.setTimer(REVOKE_CHECK_MS, tick);
  };
  const touch = (): void => {
    if (!clock) return;
    heard = clock.now();
    timer ??= clock.setTimer(REVOKE_CHECK_MS, tick);
  };
  sec.onReady(() => {
    touch();
    const guarded: MessageChannel = {
      send: (d) => {
        if (trust.stillAuthorized(sec.remoteStatic)) sec.send(d);
        else revoked();
      },
      onMessage: (cb) =>
        sec.onMessage((d) => {
          touch();
          if (trust.stillAuthorized(sec.remoteStatic)) cb(d);
          else revoked();
        }),
      close: () => {
        timer?.cancel();
        sec.close();
      },
    };
    const rs = sec.remoteStatic;
    app(guarded, peer, rs ? Buffer.from(rs).toString('base64url') : undefined);
  });
}
