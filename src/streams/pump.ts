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
): Traffic {
  const t: Traffic = { bytesIn: 0, bytesOut: 0 };
  let closed = 0;
  let tcpEnded = false;
  let streamEnded = false;
  const closeOne = (): void => {
    if (++closed === 2) onDone?.(t);
  };
  const kill = (): void => {
    tcp.destroy();
    stream.destroy();
  };
  pipeOne(
    tcp,
    stream,
    (n) => (t.bytesIn += n),
    () => (tcpEnded = true),
  );
  pipeOne(
    stream,
    tcp,
    (n) => (t.bytesOut += n),
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
    if (!streamEnded) tcp.destroy();
  });
  return t;
}
