// How a connect attempt ends: its report of what was tried and learned; a failure is a typed error naming the home, the rendezvous and the
// NAT classes learned, with the report of what was tried (it claims no path).
import type { MessageSocket } from '../net/message-socket.js';
import type { SocketAddr } from '../net/types.js';
import { formatAddr } from '../wire/addr.js';
import {
  withoutPath,
  type ConnectOptions,
  type ConnectReport,
  type ConnectResult,
} from './connect-config.js';
import { connectError, type ConnectErrorDetail, type ConnectErrorKind } from './connect-error.js';
import type { Progress } from './progress.js';
import type { RoundNats } from './round-nats.js';
import type { ClientSockets } from './sockets.js';

export function failure(
  kind: ConnectErrorKind,
  detail: Partial<ConnectErrorDetail>,
  full: ConnectReport,
  opts: Pick<ConnectOptions, 'home' | 'rendezvous'>,
): ConnectResult {
  const report = withoutPath(full);
  const cause = connectError(kind, {
    home: opts.home,
    rendezvous: formatAddr(opts.rendezvous),
    ...(report.homeNat ? { homeNat: report.homeNat } : {}),
    ...(report.clientNat ? { clientNat: report.clientNat } : {}),
    ...detail,
  });
  return { ok: false, kind, error: cause.message, cause, report };
}

/** What the attempt knows when it reports (a win, or a failure before withoutPath). */
export interface AttemptFacts {
  readonly progress: Progress;
  readonly sockets: ClientSockets;
  readonly nats: RoundNats;
  readonly round: number;
  readonly home: SocketAddr | undefined;
  readonly observed: SocketAddr | undefined;
}

export function attemptReport(
  f: AttemptFacts,
  path: ConnectReport['path'],
  peer?: SocketAddr,
  winner?: MessageSocket,
): ConnectReport {
  return {
    ...f.progress.report(path, {
      attempts: Math.max(1, f.round),
      packetsSent: f.sockets.sent,
      socketsOpened: f.sockets.opened,
      home: peer ?? f.home,
      clientObserved: f.observed,
      ...(winner ? { winner: winner === f.sockets.main ? 'first-socket' : 'extra-socket' } : {}),
    }),
    ...f.nats.facts(),
  };
}
