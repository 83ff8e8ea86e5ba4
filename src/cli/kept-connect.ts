// How an agent (`client up`, or the forward command's own) connects a home and keeps the link.
import type { KeptLink } from '../client/agent/keeper.js';
import type { ConnectionPath } from '../client/connection-path.js';
import { isPortholeError } from '../errors.js';
import type { SecureChannel } from '../secure/noise-frames.js';
import type { closeReached as CloseReached } from '../client/reach.js';
import { reachFromCli, type ConnectCliOptions, type logFor } from './connect-options.js';

/** `opts()`: the options in force at each connect (`client up` re-reads them on SIGHUP). */
export function keptConnect(
  opts: () => ConnectCliOptions,
  log: ReturnType<typeof logFor>,
  closeReached: typeof CloseReached,
): (home: string) => Promise<KeptLink> {
  const connected = new Set<string>();
  return async (home: string): Promise<KeptLink> => {
    // A reconnect re-checks UDP before trusting a cached "udp" (it may be what just broke).
    const again = connected.has(home);
    connected.add(home);
    // On a TCP/WS relay because UDP was blocked: back onto UDP when it works again.
    const r = await reachFromCli(
      { ...opts(), home, returnToUdp: true, ...(again ? { recheckUdp: true } : {}) },
      log,
    );
    // A relayed link has no ping below the channel: it is alive until its path is lost (the
    // path switch pings a direct path it moved onto).
    let lost = false;
    r.paths?.onLost(() => (lost = true));
    const conn = r.connection;
    const paths = r.paths;
    const up = r.upgrade;
    const sec = r.secure ? (r.channel as SecureChannel) : undefined;
    // A paired home's session: its upgrader owns liveness (issue 21); the keeper only hears
    // when the session is lost, and passes on its suspicions.
    const owned: Partial<KeptLink> =
      up && paths
        ? {
            onLost: (cb) => {
              paths.onLost((_p, reason) => cb(reason));
              // The home said, authenticated, that it closed the channel (it is stopping, or
              // revoked us): reconnect now. A restarted home still answers path probes, so the
              // path would look alive while nothing on it is understood (found by the soak).
              sec?.onError((e) => {
                if (isPortholeError(e, 'home-closed')) cb(e.message);
              });
            },
            suspect: () => up.suspect(),
            rttMs: () => (paths.path.kind === 'relayed' ? undefined : up.rttMs),
          }
        : {};
    return {
      ...owned,
      channel: r.channel,
      ping: (ms, cb) => {
        if (conn) return conn.ping(ms, cb);
        if (lost || !paths) return cb(undefined);
        paths.ping(ms, cb);
      },
      close: () => {
        r.channel.close();
        closeReached(r);
      },
      path: r.report.path,
      // A relayed path names its transport ("relay tcp 203.0.113.1:7400"), as after a move.
      remote:
        r.report.path === 'relayed' && paths
          ? paths.path.remote
          : (r.report.relay ?? r.report.home),
      onMoved: (cb) => paths?.onChange((c) => cb(c.kind, c.remote)),
      // Forwarded streams send on the punched socket itself while the session runs there.
      route: () => {
        const p = paths?.path as Partial<ConnectionPath> | undefined;
        const c = paths ? p?.connection : conn;
        return c ? { ep: c.endpoint, peer: c.peer } : undefined;
      },
    };
  };
}
