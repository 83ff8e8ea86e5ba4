// The IPv6 path as a racer `Attempt` (issue 13): both sides send to each other's global address
// from the socket bound to their own advertised address, so each stateful firewall sees an
// outbound flow and lets the other side's packets in — a simultaneous knock, no NAT, no spray.
// The first accepted datagram from the peer wins; one answer goes back at once (the peer's
// firewall is open by then), so the peer hears us too. The first datagram from the peer that is
// not an answer (its own knock) triggers one extra knock at once, for the same reason. Bounded: `maxPackets` knocks, then a
// grace period for late answers, then a typed failure.
import { PortholeError } from '../errors.js';
import { sameAddr } from '../wire/addr.js';
import type { Attempt, AttemptOutcome } from './race.js';
import type { Clock, SocketAddr, TimerHandle, UdpEndpoint } from './types.js';

export interface KnockOptions {
  /** Between knocks, ms. */
  readonly intervalMs: number;
  readonly maxPackets: number;
  /** After the last knock, how long an answer may still arrive, ms. */
  readonly graceMs: number;
  /** What a knock carries (e.g. an encoded `punch` of the session). */
  readonly payload: Uint8Array;
  /** Whether a datagram from the peer answers the knock (e.g. decodes as this session's punch). */
  readonly accept: (data: Uint8Array) => boolean;
}

export const DEFAULT_KNOCK = { intervalMs: 50, maxPackets: 10, graceMs: 500 } as const;

export interface KnockWin {
  readonly peer: SocketAddr;
  /** Knocks sent, the answer included. */
  readonly sent: number;
  readonly elapsedMs: number;
}

export type KnockErrorKind = 'knock-unanswered';

const unanswered = (peer: SocketAddr, sent: number, ms: number): PortholeError<KnockErrorKind> =>
  new PortholeError(
    'knock-unanswered',
    `no answer from [${peer.ip}]:${peer.port} after ${sent} knocks in ${ms} ms`,
    { peer, sent, elapsedMs: ms },
  );

/**
 * Knocks on `peer` from `sock` (which this attempt drives while it runs: it sets the socket's
 * datagram handler; the caller owns and closes the socket).
 */
export function knockAttempt(
  clock: Clock,
  sock: UdpEndpoint,
  peer: SocketAddr,
  opts: Partial<KnockOptions> & Pick<KnockOptions, 'payload' | 'accept'>,
): Attempt<KnockWin> {
  const o = { ...DEFAULT_KNOCK, ...opts };
  let timer: TimerHandle | undefined;
  let over = false;
  let sent = 0;
  let t0 = 0;
  let finish: (outcome: AttemptOutcome<KnockWin>) => void = () => {};

  const send = (): void => {
    sock.send(o.payload, peer);
    sent++;
  };
  const tick = (): void => {
    if (over) return;
    if (sent >= o.maxPackets) {
      timer = clock.setTimer(o.graceMs, () =>
        finish({ ok: false, error: unanswered(peer, sent, clock.now() - t0) }),
      );
      return;
    }
    send();
    timer = clock.setTimer(o.intervalMs, tick);
  };

  return {
    start(done) {
      t0 = clock.now();
      finish = (outcome) => {
        if (over) return;
        over = true;
        timer?.cancel();
        done(outcome);
      };
      let nudged = false;
      sock.onDatagram((data, from) => {
        if (over || !sameAddr(from, peer)) return;
        if (!o.accept(data)) {
          // The peer's own knock: its firewall is open now, so knock again at once rather than
          // wait out the interval (once; within maxPackets).
          if (!nudged && sent < o.maxPackets) send();
          nudged = true;
          return;
        }
        send();
        finish({ ok: true, value: { peer, sent, elapsedMs: clock.now() - t0 } });
      });
      tick();
    },
    cancel() {
      over = true;
      timer?.cancel();
    },
  };
}
