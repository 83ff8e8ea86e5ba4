// What every real UDP endpoint (node:dgram, udx-native) keeps the same way: the one datagram
// handler, the one error handler and the address it bound.
import type { DatagramHandler, SocketAddr } from './types.js';

export abstract class EndpointBase {
  protected handler: DatagramHandler = () => {};
  protected errorHandler: (err: Error) => void = () => {};
  protected bound: SocketAddr | undefined;

  onDatagram(handler: DatagramHandler): void {
    this.handler = handler;
  }

  onError(handler: (err: Error) => void): void {
    this.errorHandler = handler;
  }

  localAddress(): SocketAddr | undefined {
    return this.bound;
  }
}
