// The client's half of a patent round (step 4): after the home sprayed ports of our IP, knock on
// the home's mapped port from M extra sockets (paced), each knocking again a few times against
// loss. A symmetric client NAT maps each socket to its own port; one of them may be a port the
// home's spray already opened (the birthday draw in sim/theory.ts).
import { pace, type Paced } from '../net/pacer.js';
import type { SocketAddr } from '../net/types.js';
import type { ClientRoundIo } from './round-io.js';

export interface PatentKnockOptions {
  /** M */
  sockets: number;
  socketBatch: number;
  socketPaceMs: number;
  /** Knocks per socket, socketRepeatMs apart. */
  socketProbeRepeats: number;
  socketRepeatMs: number;
}

export function knockFromSockets(
  io: ClientRoundIo,
  home: SocketAddr,
  o: PatentKnockOptions,
): Paced {
  return pace(
    io.clock,
    { batch: o.socketBatch, paceMs: o.socketPaceMs },
    o.sockets,
    () => {
      const s = io.open();
      io.knock(s, home);
      for (let r = 1; r < o.socketProbeRepeats; r++) {
        io.timer(r * o.socketRepeatMs, () => {
          if (!s.ep.closed) io.knock(s, home);
        });
      }
    },
    () => io.alive(),
  );
}
