// The client's half of a reversed round (step 4, roles swapped): the home knocked towards us from
// many sockets, each mapped to its own port by a symmetric home NAT; we spray knocks from our
// first socket to N random ports of the home's IP. A hit reaches one of those sockets, which
// answers.
import { pace, type Paced } from '../net/pacer.js';
import type { Random, SocketAddr } from '../net/types.js';
import type { ClientRoundIo } from './round-io.js';
import { pickSprayPorts, type PortRange } from './spray.js';

export interface ReverseSprayOptions {
  /** N */
  ports: number;
  portRange: PortRange;
  batch: number;
  paceMs: number;
}

export function sprayHomePorts(
  io: ClientRoundIo,
  rng: Random,
  home: SocketAddr,
  o: ReverseSprayOptions,
): Paced {
  const ports = pickSprayPorts(rng, o.ports, o.portRange, home.port);
  return pace(
    io.clock,
    { batch: o.batch, paceMs: o.paceMs },
    ports.length,
    (i) => io.knock(io.main, { ip: home.ip, port: ports[i] as number }),
    () => io.alive(),
  );
}
