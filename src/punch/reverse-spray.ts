// The client's half of a reversed round (step 4, roles swapped): the home knocked towards us from
// many sockets, each mapped to its own port by a symmetric home NAT; we spray knocks from our
// first socket to N random ports of the home's IP. A hit reaches one of those sockets, which
// answers.
import { pace, type Paced } from '../net/pacer.js';
import type { Random, SocketAddr } from '../net/types.js';
import type { ClientRoundIo } from './round-io.js';
import type { PortRange } from './spray.js';
import { sprayPortsFor } from './predict.js';

export interface ReverseSprayOptions {
  /** N */
  ports: number;
  portRange: PortRange;
  batch: number;
  paceMs: number;
  /** The home's NAT allocates sequentially by this step: its next ports go first (predict.ts). */
  predictDelta?: number;
}

export function sprayHomePorts(
  io: ClientRoundIo,
  rng: Random,
  home: SocketAddr,
  o: ReverseSprayOptions,
): Paced {
  const ports = sprayPortsFor(rng, o.ports, o.portRange, home.port, o.predictDelta);
  return pace(
    io.clock,
    { batch: o.batch, paceMs: o.paceMs },
    ports.length,
    (i) => io.knock(io.main, { ip: home.ip, port: ports[i] as number }),
    () => io.alive(),
  );
}
