// The relay as a UDP role of its own: one socket, relay messages to the core, anything else to
// `onOther` (the rendezvous, when both share the socket — which is what makes a home's keepalive
// mapping the way in) or dropped and counted.
import type { BindOptions, Env, SocketAddr } from '../net/types.js';
import { DropCounter, MessageSocket } from '../net/message-socket.js';
import type { Message } from '../wire/messages.js';
import { RelayCore, type RelayCoreOptions } from './server.js';

export interface UdpRelayOptions extends Omit<RelayCoreOptions, 'sendUdp'> {
  listen: BindOptions;
  /** Non-relay messages; `sock` is the shared socket, to answer on. */
  onOther?(msg: Message, from: SocketAddr, size: number, sock: MessageSocket): void;
}

export class UdpRelay {
  readonly drops = new DropCounter();
  private sock: MessageSocket | undefined;
  private core: RelayCore | undefined;

  constructor(
    private readonly env: Env,
    private readonly opts: UdpRelayOptions,
  ) {}

  start(): RelayCore {
    const ep = this.env.net.open(this.opts.listen);
    const core = new RelayCore(this.env, { ...this.opts, sendUdp: (d, to) => ep.send(d, to) });
    const sock = new MessageSocket(ep, this.drops, this.env.log, (msg, from, size) => {
      if (core.onUdp(msg, from, size)) return;
      if (this.opts.onOther) this.opts.onOther(msg, from, size, sock);
      else this.drops.count(`unexpected-${msg.type}`);
    });
    this.sock = sock;
    this.core = core;
    return core;
  }

  get relay(): RelayCore {
    if (!this.core) throw new Error('relay not started');
    return this.core;
  }

  /** The socket, once started (to answer non-relay requests on). */
  get socket(): MessageSocket | undefined {
    return this.sock;
  }

  get endpoint(): MessageSocket['ep'] | undefined {
    return this.sock?.ep;
  }

  close(): void {
    this.core?.close();
    this.sock?.close();
  }
}
