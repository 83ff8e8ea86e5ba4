// A socket's bound address, through the Env clock: node binds asynchronously (the virtual
// network at once). Bounded: undefined after `maxMs` or when the socket closed (bind failed).
import type { Clock, SocketAddr, UdpEndpoint } from './types.js';

export function boundAddr(
  clock: Clock,
  ep: UdpEndpoint,
  maxMs = 1000,
): Promise<SocketAddr | undefined> {
  return new Promise((resolve) => {
    let waited = 0;
    const check = (): void => {
      const a = ep.localAddress();
      if (a?.port || ep.closed || waited >= maxMs) return resolve(a?.port ? a : undefined);
      waited += 5;
      clock.setTimer(5, check);
    };
    check();
  });
}
