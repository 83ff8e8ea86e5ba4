// Shared plumbing for roles: decode at the edge, count what is dropped, send typed messages.
import type { Logger, SendOptions, SocketAddr, UdpEndpoint } from '../net/types.js';
import { decode, encode, type Message } from '../wire/messages.js';
import { DropCounter } from './drops.js';

export { DropCounter };

/**
 * Wraps an endpoint: incoming datagrams are decoded (never throwing), malformed ones are counted
 * and dropped, and well-formed ones are handed to `onMessage` as typed values.
 */
export class MessageSocket {
  sent = 0;
  received = 0;

  constructor(
    readonly ep: UdpEndpoint,
    private readonly drops: DropCounter,
    private readonly log: Logger,
    private onMessage: (msg: Message, from: SocketAddr, size: number) => void,
  ) {
    ep.onDatagram((data, from) => {
      this.received++;
      const r = decode(data);
      if (!r.ok) {
        this.drops.count('malformed');
        this.log.debug({ from, error: r.error }, 'dropped malformed datagram');
        return;
      }
      this.onMessage(r.msg, from, data.length);
    });
    ep.onError((err) => this.log.warn({ err: err.message }, 'socket error'));
  }

  /** Hand the socket to a new owner (e.g. from the connector to the established connection). */
  setHandler(onMessage: (msg: Message, from: SocketAddr, size: number) => void): void {
    this.onMessage = onMessage;
  }

  /** `padTo`: zero-pad the datagram to this size (requests to the rendezvous, see encode()). */
  send(msg: Message, to: SocketAddr, opts?: SendOptions & { padTo?: number }): void {
    this.sent++;
    this.ep.send(encode(msg, opts?.padTo), to, opts);
  }

  /**
   * Answers a request of `requestSize` bytes, never with more bytes than it carried: an error's
   * text is shortened to fit, anything else that does not fit is dropped and counted.
   */
  reply(msg: Message, to: SocketAddr, requestSize: number): void {
    let bytes = encode(msg);
    if (bytes.length > requestSize && msg.type === 'error') {
      const room = Math.max(0, msg.message.length - (bytes.length - requestSize));
      bytes = encode({ ...msg, message: msg.message.slice(0, room) });
    }
    if (bytes.length > requestSize) {
      this.drops.count('reply-larger-than-request');
      return;
    }
    this.sent++;
    this.ep.send(bytes, to);
  }

  close(): void {
    this.ep.close();
  }
}
