// The home's half of a reversed round (patent step 3, roles swapped): open many sockets, each
// knocking once (small TTL) towards the client's observed address. A symmetric home NAT gives each
// socket its own external port; the client then sprays ports of our IP, and whichever socket it
// hits answers.
import type { Env, SocketAddr, TimerHandle } from '../net/types.js';
import { DropCounter, MessageSocket } from '../net/message-socket.js';
import { pace, type Paced } from '../net/pacer.js';
import type { Message, SessionId } from '../wire/messages.js';

export interface KnockBackOptions {
  sockets: number;
  batch: number;
  paceMs: number;
  ttl: number | undefined;
  /** How long the sockets wait for the client's spray before they close. */
  windowMs: number;
  bindIp: string | undefined;
}

export class KnockBack {
  private readonly sockets = new Set<MessageSocket>();
  private readonly kept = new Set<MessageSocket>();
  private pacing: Paced | undefined;
  private window: TimerHandle | undefined;
  private closed = false;

  constructor(
    private readonly env: Env,
    private readonly drops: DropCounter,
    private readonly session: SessionId,
    private readonly client: SocketAddr,
    private readonly o: KnockBackOptions,
    /** Every datagram any of the sockets receives. */
    private readonly onMessage: (sock: MessageSocket, msg: Message, from: SocketAddr) => void,
  ) {}

  /** Opens the sockets (paced); `opened(n)` once all have sent their packet. */
  start(opened: (n: number) => void): void {
    const punch: Message = { type: 'punch', session: this.session };
    const ttl = this.o.ttl === undefined ? undefined : { ttl: this.o.ttl };
    this.pacing = pace(
      this.env.clock,
      { batch: this.o.batch, paceMs: this.o.paceMs },
      this.o.sockets,
      () => {
        const ep = this.env.net.open(this.o.bindIp ? { ip: this.o.bindIp } : {});
        const sock: MessageSocket = new MessageSocket(ep, this.drops, this.env.log, (m, from) =>
          this.onMessage(sock, m, from),
        );
        this.sockets.add(sock);
        sock.send(punch, this.client, ttl);
      },
      () => !this.closed,
      () => {
        this.window = this.env.clock.setTimer(this.o.windowMs, () => this.close());
        opened(this.sockets.size);
      },
    );
  }

  /** This socket carries a connection now (its owner is the link): it survives close(). */
  keep(sock: MessageSocket): void {
    this.kept.add(sock);
  }

  get sent(): number {
    let n = 0;
    for (const s of this.sockets) n += s.sent;
    return n;
  }

  /** Stops opening sockets and closes every one not kept. */
  close(): void {
    this.closed = true;
    this.pacing?.cancel();
    this.window?.cancel();
    for (const s of this.sockets) if (!this.kept.has(s)) s.close();
  }
}
