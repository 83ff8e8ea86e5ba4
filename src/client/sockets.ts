// The sockets of one connect attempt: the first socket (assist, Ready, knocks) and the extra
// sockets a round opens. Owns them all, so closing the attempt closes every one, and counts what
// they sent for the report.
import type { Env, SocketAddr } from '../net/types.js';
import { DropCounter, MessageSocket } from '../net/message-socket.js';
import type { Message } from '../wire/messages.js';

export type SocketHandler = (sock: MessageSocket, msg: Message, from: SocketAddr) => void;

export class ClientSockets {
  readonly drops = new DropCounter();
  readonly main: MessageSocket;
  private extra: MessageSocket[] = [];
  private closedSent = 0;
  opened = 1;

  constructor(
    private readonly env: Env,
    private readonly bindIp: string | undefined,
    private readonly handler: SocketHandler,
  ) {
    this.main = this.create();
  }

  private create(): MessageSocket {
    const ep = this.env.net.open(this.bindIp ? { ip: this.bindIp } : {});
    const sock: MessageSocket = new MessageSocket(ep, this.drops, this.env.log, (m, from) =>
      this.handler(sock, m, from),
    );
    return sock;
  }

  /** One more socket for this round (closed by closeExtra). */
  open(): MessageSocket {
    const s = this.create();
    this.extra.push(s);
    this.opened++;
    return s;
  }

  /** Closes the round's extra sockets, except `keep` (the one that won). */
  closeExtra(keep?: MessageSocket): void {
    for (const s of this.extra) {
      if (s === keep) continue;
      this.closedSent += s.sent;
      s.close();
    }
    this.extra = keep && keep !== this.main ? [keep] : [];
  }

  /** The first socket lost to an extra one: close it, keep its count. */
  closeMain(): void {
    this.closedSent += this.main.sent;
    this.main.close();
  }

  get sent(): number {
    return this.closedSent + this.main.sent + this.extra.reduce((n, s) => n + s.sent, 0);
  }
}
