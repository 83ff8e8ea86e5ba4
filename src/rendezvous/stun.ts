// STUN beside the rendezvous (issue 9): standard Binding requests on its own port (demultiplexed
// by the magic cookie before Porthole's decoder sees them) and the RFC 5780 tests on a second
// port (and IP when given), so each side can classify its NAT against the server it already uses.
import { StunServer } from '../discovery/stun-server.js';
import { isStun } from '../discovery/stun-codec.js';
import { PRIMARY, type StunServerConfig } from '../discovery/stun-responder.js';
import type { Env, SocketAddr, UdpEndpoint } from '../net/types.js';

export interface RendezvousStun {
  /** First look at every datagram of the main socket: true when it was STUN (answered). */
  readonly intercept: (data: Uint8Array, from: SocketAddr) => boolean;
  close(): void;
}

export function attachStun(env: Env, main: UdpEndpoint, cfg: StunServerConfig): RendezvousStun {
  const server = new StunServer(env, cfg).adopt(PRIMARY, main).open();
  return {
    intercept: (data, from) => {
      if (!isStun(data)) return false;
      server.handleDatagram(data, from, PRIMARY);
      return true;
    },
    close: () => server.close(),
  };
}
