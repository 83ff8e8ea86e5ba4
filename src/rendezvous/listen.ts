// The rendezvous' listening sockets: one per family, each bound to an explicit address, so an
// IPv4 peer is never seen as a v4-mapped `::ffff:a.b.c.d` (which the protocol must not carry).
import { isIPv6 } from 'node:net';
import type { MessageSocket } from '../net/message-socket.js';
import type { BindOptions, SocketAddr } from '../net/types.js';

export function listenList(listen: BindOptions | readonly BindOptions[]): BindOptions[] {
  const many = (l: typeof listen): l is readonly BindOptions[] => Array.isArray(l);
  return many(listen) ? [...listen] : [listen];
}

const isV6Bound = (s: MessageSocket): boolean => {
  const ip = s.ep.localAddress()?.ip;
  return ip !== undefined && isIPv6(ip);
};

/** The socket of `to`'s family (the only one when there is just one). */
export function socketFor(
  socks: readonly MessageSocket[],
  to: SocketAddr,
): MessageSocket | undefined {
  if (socks.length <= 1) return socks[0];
  const v6 = isIPv6(to.ip);
  return socks.find((s) => isV6Bound(s) === v6) ?? socks[0];
}

/** A v4-mapped source means a dual-stack socket on `::`: refused, the address would leak. */
export const isV4Mapped = (a: SocketAddr): boolean => /^::ffff:/i.test(a.ip);
