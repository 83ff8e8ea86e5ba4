// The simultaneous knock (issue 9): both NATs map independently of the destination (cone), so
// the address the rendezvous saw is the address the peer reaches. The home sends a few packets
// to the client's observed address (with the hole TTL: they open the home's NAT, they need not
// arrive); the client then knocks on the home's mapped address from its first socket
// (client/step4.ts knockFromFirstSocket). No spray, no extra sockets.
import { pace, type Paced } from '../net/pacer.js';
import type { Clock, SocketAddr } from '../net/types.js';

export interface KnockOptions {
  /** Packets towards the client's observed address. */
  packets: number;
  spacingMs: number;
}

// Spaced a little (a burst can be dropped whole), not so much that SprayDone waits for them.
export const DEFAULT_KNOCK: KnockOptions = { packets: 3, spacingMs: 2 };

/** The home's half: `packets` sends to `client`, `spacingMs` apart; `done(n)` after the last. */
export function knockTowards(
  clock: Clock,
  send: (to: SocketAddr) => void,
  client: SocketAddr,
  o: KnockOptions,
  alive: () => boolean,
  done: (sent: number) => void,
): Paced {
  return pace(
    clock,
    { batch: 1, paceMs: o.spacingMs },
    o.packets,
    () => send(client),
    alive,
    () => done(o.packets),
  );
}
