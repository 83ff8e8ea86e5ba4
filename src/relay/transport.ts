// How the relay core reaches one client, whatever carries it (UDP datagrams, a TCP stream, a
// WebSocket): the core never touches a socket, so all three feed the same session table.
import type { SocketAddr } from '../net/types.js';
import { addrKey, formatAddr } from '../wire/addr.js';
import { encode, type Message, type MessageOf } from '../wire/messages.js';
import type { RedirectTarget } from './redirect.js';

export type RelayTransportKind = 'udp' | 'tcp' | 'ws';

export interface ClientTransport {
  readonly kind: RelayTransportKind;
  /** Identifies this client's transport: the UDP source address, or one stream connection. */
  readonly key: string;
  /** The client's address as the relay sees it (its IP counts against the per-IP cap). */
  readonly addr: SocketAddr;
  /** For logs, e.g. "tcp 203.0.113.5:51000". */
  readonly label: string;
  /** One encoded message. Never throws; a transport that cannot keep up closes itself. */
  send(frame: Uint8Array): void;
  /** Stream transports end the connection; UDP has nothing to close. */
  close(reason: string): void;
  /**
   * A transport whose client cannot follow a redirect (the web front's WebSocket: a page reaches
   * only its origin) carries the session to `to` itself (relay/bridge.ts) instead of answering
   * with relayRedirect.
   */
  bridge?(open: MessageOf<'relayOpen'>, to: RedirectTarget): void;
}

/** A UDP client: its source address is the whole transport (replies go out on the relay socket). */
export function udpTransport(
  from: SocketAddr,
  sendUdp: (frame: Uint8Array, to: SocketAddr) => void,
): ClientTransport {
  return {
    kind: 'udp',
    key: `udp|${addrKey(from)}`,
    addr: from,
    label: `udp ${formatAddr(from)}`,
    send: (frame) => sendUdp(frame, from),
    close: () => {},
  };
}

/**
 * Sends an answer of at most `requestSize` bytes (no amplification): a relayClosed's text is
 * shortened to fit; false (nothing sent) when it still does not.
 */
export function answerWithin(t: ClientTransport, msg: Message, requestSize: number): boolean {
  let bytes = encode(msg);
  if (bytes.length > requestSize && msg.type === 'relayClosed') {
    const room = Math.max(0, msg.message.length - (bytes.length - requestSize));
    bytes = encode({ ...msg, message: msg.message.slice(0, room) });
  }
  if (bytes.length > requestSize) return false;
  t.send(bytes);
  return true;
}
