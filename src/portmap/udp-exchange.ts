// One request/response exchange with the gateway's port-control port over the Env seam:
// retransmitted with doubling timeouts (RFC 6886 §3.1 / RFC 6887 §8.1.1, but bounded to a few
// sends so a silent gateway costs seconds, not the RFCs' minutes), under a total deadline.
import { Retransmitter, type RetransmitOptions } from '../net/retransmit.js';
import type { Env, SocketAddr, UdpEndpoint } from '../net/types.js';
import { sameAddr } from '../wire/addr.js';

export interface ExchangeTiming extends RetransmitOptions {
  /** Hard deadline for the whole exchange, ms. */
  readonly totalMs: number;
}

/** 250 ms doubling, 4 sends (0, 250, 750, 1750 ms), give up at 2.5 s. */
export const DEFAULT_EXCHANGE: ExchangeTiming = {
  rtoMs: 250,
  maxRtoMs: 2000,
  maxSends: 4,
  totalMs: 2500,
};

/** Largest datagram accepted from the gateway (PCP's own limit is 1100 bytes). */
const MAX_REPLY = 1100;

/**
 * Sends `request` to `to` from `ep` until `accept` returns a value for a datagram from `to`, or
 * the budget is spent (resolves `undefined`). Datagrams from elsewhere, oversized ones and ones
 * `accept` rejects are ignored. Only one exchange may run on an endpoint at a time.
 */
export function exchange<T>(
  env: Env,
  ep: UdpEndpoint,
  to: SocketAddr,
  request: Uint8Array,
  accept: (data: Uint8Array) => T | undefined,
  timing: ExchangeTiming = DEFAULT_EXCHANGE,
): Promise<T | undefined> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (v: T | undefined): void => {
      if (done) return;
      done = true;
      rtx.cancel();
      deadline.cancel();
      ep.onDatagram(() => {});
      resolve(v);
    };
    ep.onDatagram((data, from) => {
      if (!sameAddr(from, to) || data.length > MAX_REPLY) return;
      const v = accept(data);
      if (v !== undefined) finish(v);
    });
    // After the last send, wait out the total deadline (the last reply may still arrive).
    const rtx = new Retransmitter(
      env.clock,
      timing,
      () => ep.send(request, to),
      () => {},
    );
    const deadline = env.clock.setTimer(timing.totalMs, () => finish(undefined));
    rtx.start();
  });
}
