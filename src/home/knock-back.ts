// The home's half of a reversed round: open many sockets, each sending one hole-opening packet
// (small TTL) towards the client's observed address. A symmetric home NAT gives each socket its own
// external port; the client then sprays ports of our IP, and whichever socket it hits answers.
import type { Env, SocketAddr, TimerHandle } from '../net/types.js';
import { DropCounter, MessageSocket } from '../proto/endpoint-io.js';
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
  private timers: TimerHandle[] = [];
  private opened = 0;

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
    const batch = (): void => {
      const end = Math.min(this.o.sockets, this.opened + this.o.batch);
      for (; this.opened < end; this.opened++) {
        const ep = this.env.net.open(this.o.bindIp ? { ip: this.o.bindIp } : {});
        const sock: MessageSocket = new MessageSocket(ep, this.drops, this.env.log, (m, from) =>
          this.onMessage(sock, m, from),
        );
        this.sockets.add(sock);
        sock.send(punch, this.client, this.o.ttl === undefined ? undefined : { ttl: this.o.ttl });
      }
      if (this.opened < this.o.sockets) {
        this.timers.push(this.env.clock.setTimer(this.o.paceMs, batch));
        return;
      }
      this.timers.push(this.env.clock.setTimer(this.o.windowMs, () => this.closeRest()));
      opened(this.opened);
    };
    batch();
  }

  /** This socket carries a connection now: it survives closeRest(). */
  keep(sock: MessageSocket): void {
    this.kept.add(sock);
  }

  get sent(): number {
    let n = 0;
    for (const s of this.sockets) n += s.sent;
    return n;
  }

  closeRest(): void {
    this.timers.forEach((t) => t.cancel());
    this.timers = [];
    for (const s of this.sockets) if (!this.kept.has(s)) s.close();
  }
}
