// How the relay core reaches one client, whatever carries it (UDP datagrams, a TCP stream, a
// WebSocket): the core never touches a socket, so all three feed the same session table.
import type { SocketAddr } from '../net/types.js';

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
}
