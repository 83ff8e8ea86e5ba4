// The home's side of every connection: each client that reaches it gets a Noise channel bound to
// the paired keys; only a completed, authorized handshake is handed to the application. A client
// revoked while connected is cut off at its next message.
import type { SocketAddr } from '../net/types.js';
import type { MessageChannel } from '../net/channel.js';
import type { HomeTrustStore } from '../secure/home-trust.js';
import { secureServer } from '../secure/noise-channel.js';
import type { HomeAgent } from './agent.js';
import { servePeerChannels } from './peer-channels.js';

/** `client`: the client's Noise static key (base64url) in trust mode; undefined in open mode. */
export type AppHandler = (channel: MessageChannel, peer: SocketAddr, client?: string) => void;

/** Plain (open mode) or encrypted (trust mode) application channels, one per client. */
export function serveApp(
  agent: HomeAgent,
  trust: HomeTrustStore | undefined,
  app: AppHandler,
): void {
  // Punched and relayed clients alike (a relayed one may later move onto a punched path).
  servePeerChannels(agent, (plain, peer) => serveChannel(plain, peer, trust, app));
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
): void {
  if (!trust) return app(plain, peer);
  const sec = secureServer(plain, {
    staticKeys: trust.staticKeys,
    authorize: (rs, payload) => trust.authorizeChannel(rs, payload),
  });
  sec.onReady(() => {
    const guarded: MessageChannel = {
      send: (d) => {
        if (trust.stillAuthorized(sec.remoteStatic)) sec.send(d);
        else sec.close();
      },
      onMessage: (cb) =>
        sec.onMessage((d) => {
          if (trust.stillAuthorized(sec.remoteStatic)) cb(d);
          else sec.close();
        }),
      close: () => sec.close(),
    };
    const rs = sec.remoteStatic;
    app(guarded, peer, rs ? Buffer.from(rs).toString('base64url') : undefined);
  });
}
