// What a client-side method gets from the connect attempt that runs it: the first socket, a way
// to open more (owned and closed by the attempt), the knock, and timers that end with the round.
import type { MessageSocket } from '../net/message-socket.js';
import type { Clock, SocketAddr } from '../net/types.js';

export interface ClientRoundIo {
  readonly clock: Clock;
  readonly main: MessageSocket;
  /** A new socket for this round; its datagrams go to the attempt's dispatch. */
  open(): MessageSocket;
  /** Step 4's packet: a probe naming the home and the session, from `sock` to `to`. */
  knock(sock: MessageSocket, to: SocketAddr): void;
  /** A timer cancelled when the round ends. */
  timer(ms: number, fn: () => void): void;
  /** False once the round is over: paced batches stop. */
  alive(): boolean;
}
