// Relay placement (issue 10): "relay this session there instead". A relay that does not carry a
// home's sessions (a cluster node that does not hold it, or a rendezvous that hands relaying to a
// standalone relay node) answers a relayOpen with relayRedirect; the client follows it at most
// MAX_REDIRECTS times. A redirect is untrusted input: it must name a unicast address with a port,
// and, for a stream transport, a port for that transport.
import { BlockList, isIP } from 'node:net';
import type { SocketAddr } from '../net/types.js';
import { formatAddr } from '../wire/addr.js';
import type { MessageOf } from '../wire/messages.js';
import type { RelayTarget } from './client-path.js';

/** Where a relay sends clients instead; ports 0 = that stream front is not offered. */
export interface RedirectTarget {
  relay: SocketAddr;
  tcpPort: number;
  wsPort: number;
}

/** Redirects a client follows for one session (a third is a loop or a misconfiguration). */
export const MAX_REDIRECTS = 2;

/** Path of the WebSocket front (relay/ws-server.ts). */
export const WS_PATH = '/porthole';

const NOT_UNICAST = new BlockList();
NOT_UNICAST.addSubnet('0.0.0.0', 8, 'ipv4'); // "this network", unspecified
NOT_UNICAST.addSubnet('224.0.0.0', 4, 'ipv4'); // multicast
NOT_UNICAST.addSubnet('240.0.0.0', 4, 'ipv4'); // reserved and limited broadcast
NOT_UNICAST.addAddress('::', 'ipv6'); // unspecified
NOT_UNICAST.addSubnet('ff00::', 8, 'ipv6'); // multicast

/** A unicast IP literal with a non-zero port: the only kind of address a redirect may name. */
export function isUnicastAddr(a: SocketAddr): boolean {
  const family = isIP(a.ip);
  if (family === 0 || !Number.isInteger(a.port) || a.port < 1 || a.port > 65535) return false;
  return !NOT_UNICAST.check(a.ip, family === 4 ? 'ipv4' : 'ipv6');
}

/** The redirect as a message, answering the client's relayOpen. */
export function redirectMessage(
  open: MessageOf<'relayOpen'>,
  to: RedirectTarget,
): MessageOf<'relayRedirect'> {
  return { type: 'relayRedirect', tx: open.tx, session: open.session, ...to };
}

/**
 * Where a client on `current`'s transport goes next, or undefined when the redirect names no
 * usable address (not unicast, port 0, or no front for this transport).
 */
export function followRedirect(
  current: RelayTarget,
  msg: MessageOf<'relayRedirect'>,
): RelayTarget | undefined {
  if (!isUnicastAddr(msg.relay)) return undefined;
  const at = (port: number): SocketAddr | undefined => {
    const a = { ip: msg.relay.ip, port };
    return isUnicastAddr(a) ? a : undefined;
  };
  if (current.transport === 'udp') return { transport: 'udp', relay: msg.relay };
  if (current.transport === 'tcp') {
    const relay = at(msg.tcpPort);
    return relay && { transport: 'tcp', relay };
  }
  const ws = at(msg.wsPort);
  if (!ws) return undefined;
  const scheme = new URL(current.url).protocol === 'wss:' ? 'wss' : 'ws';
  return { transport: 'ws', url: `${scheme}://${formatAddr(ws)}${WS_PATH}` };
}
