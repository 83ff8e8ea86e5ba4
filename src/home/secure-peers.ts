// The home's side of every connection: each client that reaches it gets a Noise channel bound to
// the paired keys; only a completed, authorized handshake is handed to the application. A client
// revoked while connected is cut off at its next message, and (with a clock) within
// REVOKE_CHECK_MS while it was heard from recently, by an authenticated close that tells it why.
// A stopping home closes every live channel the same way, so its clients reconnect at once (a
// restarted home answers path probes but knows none of the old sessions: found by the soak).
import type { Clock, SocketAddr, TimerHandle } from '../net/types.js';
import type { MessageChannel } from '../net/channel.js';
import type { Path } from '../net/path.js';
import type { HomeTrustStore } from '../secure/home-trust.js';
import { secureServer } from '../secure/noise-channel.js';
import type { HomeAgent } from './agent.js';
import { servePeerChannels } from './peer-channels.js';

/** `client`: the client's Noise static key (base64url) in trust mode; undefined in open mode. */
/** `via`: the channel under the Noise session (a peer channel: its route says where it runs). */
export type AppHandler = (
  channel: MessageChannel,
  peer: SocketAddr,
  client?: string,
  via?: MessageChannel,
) => void;

/** How often a live channel's key is checked against the authorized list (a stat of one file). */
const REVOKE_CHECK_MS = 250;
/** A channel not heard from this long stops being checked (until its next message). */
const WATCH_IDLE_MS = 120_000;

/** The secure channels open now, so a stopping home can tell each client (authenticated). */
export interface LiveChannels {
  /** Sends each live secure channel a close with `reason` (0x05) and closes it; how many. */
  closeAll(reason: string): number;
  /** A phone's open WebRTC data channel (home/webrtc.ts): its channel moves there. */
  addDirectPath(path: Path, peer: SocketAddr): void;
}

type LiveSet = Map<{ closeWith(reason: string): void }, MessageChannel>;
/** Channels kept for a goodbye at most (peer-channels bounds the live ones far below this). */
const MAX_LIVE = 4096;

/** Keeps `sec`; first drops those whose transport closed under them (an idle or evicted peer). */
function keep(
  live: LiveSet,
  sec: { closeWith(reason: string): void },
  plain: MessageChannel,
): void {
  for (const [c, p] of live) if ((p as { closed?: boolean }).closed === true) live.delete(c);
  if (live.size >= MAX_LIVE)
    live.delete(live.keys().next().value as { closeWith(r: string): void });
  live.set(sec, plain);
}

/** Plain (open mode) or encrypted (trust mode) application channels, one per client. */
export function serveApp(
  agent: HomeAgent,
  trust: HomeTrustStore | undefined,
  app: AppHandler,
  clock?: Clock,
): LiveChannels {
  const live: LiveSet = new Map();
  // Punched and relayed clients alike (a relayed one may later move onto a punched path, a phone
  // onto a WebRTC data channel).
  const peers = servePeerChannels(agent, (plain, peer) =>
    serveChannel(plain, peer, trust, app, clock, live),
  );
  return {
    addDirectPath: (path, peer) => peers.addDirectPath(path, peer),
    closeAll: (reason) => {
      const all = [...live.keys()];
      for (const c of all) c.closeWith(reason);
      live.clear();
      return all.length;
    },
  };
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
  /** Where a ready channel is kept until it closes (a stopping home closes them all, saying so). */
  live?: LiveSet,
): void {
  if (!trust) return app(plain, peer, undefined, plain);
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
    if (live) keep(live, sec, plain);
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
        live?.delete(sec);
        sec.close();
      },
    };
    const rs = sec.remoteStatic;
    app(guarded, peer, rs ? Buffer.from(rs).toString('base64url') : undefined, plain);
  });
}
