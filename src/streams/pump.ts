// Joins a TCP socket and a stream end to end: bytes both ways with backpressure (a side whose
// peer is full is paused until it drains), half-close (an end on one side ends the other's write
// side only), and an error or reset on either side destroys both.
import type { EventEmitter } from 'node:events';

/** What both a node:net Socket and a UDX (streamx) stream offer. */
export interface ByteStream extends EventEmitter {
  write(data: Uint8Array): boolean;
  end(): unknown;
  pause(): unknown;
  resume(): unknown;
  destroy(err?: Error): unknown;
  /** A TCP socket's abortive close (RST): the local application sees a reset, not an end. */
  resetAndDestroy?(): unknown;
}

export interface Traffic {
  /** Bytes from the TCP side into the stream, and from the stream out to TCP. */
  bytesIn: number;
  bytesOut: number;
}

function pipeOne(from: ByteStream, to: ByteStream, count: (n: number) => void, ended: () => void) {
  from.on('data', (d: Uint8Array) => {
    count(d.length);
    if (!to.write(d)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
  from.once('end', () => {
    to.end();
    ended();
  });
}

/** Starts both directions; `onDone` once when both are closed. Returns the live counters. */
export function joinStreams(
  tcp: ByteStream,
  stream: ByteStream,
  onDone?: (t: Traffic) => void,
  /** Each chunk as it passes: bytes into the stream, bytes out of it. */
  onBytes?: (bytesIn: number, bytesOut: number) => void,
): Traffic {
  const t: Traffic = { bytesIn: 0, bytesOut: 0 };
  let closed = 0;
  let tcpEnded = false;
  let streamEnded = false;
  const closeOne = (): void => {
    if (++closed === 2) onDone?.(t);
  };
  // An abnormal end (the other side reset, the home closed the stream) resets the TCP side,
  // so the application knows its data did not all arrive.
  const resetTcp = (): void => void (tcp.resetAndDestroy ? tcp.resetAndDestroy() : tcp.destroy());
  const kill = (): void => {
    resetTcp();
    stream.destroy();
  };
  pipeOne(
    tcp,
    stream,
    (n) => {
      t.bytesIn += n;
      onBytes?.(n, 0);
    },
    () => (tcpEnded = true),
  );
  pipeOne(
    stream,
    tcp,
    (n) => {
      t.bytesOut += n;
      onBytes?.(0, n);
    },
    () => (streamEnded = true),
  );
  tcp.once('error', kill);
  stream.once('error', kill);
  // A side that closes without having ended (a reset, a destroy) takes the other with it; one
  // that ended cleanly lets the other finish delivering what it holds.
  tcp.once('close', () => {
    closeOne();
    if (!tcpEnded) stream.destroy();
  });
  stream.once('close', () => {
    closeOne();
    if (!streamEnded) resetTcp();
  });
  return t;
}
