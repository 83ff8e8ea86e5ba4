// A punched (or direct, IPv6, mapped) connection seen as a Path (docs/seams.md §3), so a path
// switch can carry a Noise session onto it and, when it dies, off it again. The connection has no
// end of its own: its owner declares it dead (`kill`) or closes it.
import { PATH_MAX_PAYLOAD, type Path, type PathKind } from '../net/path.js';
import type { RoamCheck } from '../net/roam.js';
import { formatAddr } from '../wire/addr.js';
import type { Connection } from './connection.js';
import type { PingablePath } from './path-switch.js';

export interface ConnectionPath extends PingablePath {
  readonly connection: Connection;
  /** Ends the path with `reason` (the path switch reports it as lost when it is current). */
  kill(reason: string): void;
  onRoamCandidate(check: RoamCheck): void;
  /** Each keepalive's outcome (Connection.onKeepalive): the liveness owner reads these. */
  onKeepalive(cb: (rttMs: number | undefined) => void): void;
}

export function connectionPath(
  connection: Connection,
  kind: Exclude<PathKind, 'relayed'>,
): ConnectionPath {
  const closeCbs: ((reason: string) => void)[] = [];
  let open = true;
  const end = (reason: string): void => {
    if (!open) return;
    open = false;
    connection.close();
    for (const cb of closeCbs.splice(0)) cb(reason);
  };
  const path: ConnectionPath & Path = {
    kind,
    maxPayload: PATH_MAX_PAYLOAD,
    connection,
    get remote() {
      return formatAddr(connection.peer);
    },
    send: (d) => connection.send(d),
    onMessage: (cb) => connection.onMessage(cb),
    onRoamCandidate: (check) => connection.onRoamCandidate(check),
    ping: (ms, cb) => connection.ping(ms, cb),
    onKeepalive: (cb) => connection.onKeepalive(cb),
    onClose: (cb) => (open ? void closeCbs.push(cb) : cb('closed')),
    close: () => end('closed'),
    kill: end,
  };
  return path;
}
