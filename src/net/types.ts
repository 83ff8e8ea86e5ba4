// The seam between protocol logic and the world. Every role (rendezvous, home, client) talks to
// the network only through these interfaces, so the same code runs on node:dgram and on the
// deterministic virtual network. Everything here is callback-based and synchronous on purpose:
// the virtual network delivers datagrams from its own event loop, and no promise may sit between
// an event and the reaction to it (that would make simulated time and ordering unpredictable).

import type { SocketAddr } from '../wire/socket-addr.js';

export type { SocketAddr };

export interface SendOptions {
  /** IP TTL / hop limit for this one datagram (hole-opening packets that must die early). */
  readonly ttl?: number;
}

export type DatagramHandler = (data: Uint8Array, from: SocketAddr) => void;

/** One bound UDP socket. */
export interface UdpEndpoint {
  /** Queue one datagram. Never throws: failures go to the error handler. */
  send(data: Uint8Array, to: SocketAddr, opts?: SendOptions): void;
  onDatagram(handler: DatagramHandler): void;
  onError(handler: (err: Error) => void): void;
  /** The bound local address, once known (undefined while an OS bind is still in progress). */
  localAddress(): SocketAddr | undefined;
  close(): void;
  readonly closed: boolean;
}

export interface BindOptions {
  /** Local IP to bind; default: all interfaces of the host. */
  readonly ip?: string;
  /** Local port; default 0 = any free port. */
  readonly port?: number;
}

/** A host's view of the network: it can open UDP sockets. */
export interface UdpNet {
  open(opts?: BindOptions): UdpEndpoint;
}

export interface TimerHandle {
  cancel(): void;
}

/** Time source and timers; virtual in the simulator, real otherwise. Milliseconds. */
export interface Clock {
  now(): number;
  /**
   * Wall-clock time, Unix ms: only for timestamps another machine checks (signed registrations).
   * `now()` is monotonic and may start anywhere. Clocks that only time things may omit it.
   */
  wallNow?(): number;
  setTimer(ms: number, fn: () => void): TimerHandle;
}

/** Randomness source; seeded in the simulator, crypto-strong otherwise. */
export interface Random {
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  bytes(n: number): Uint8Array;
}

/** Minimal structured logger (pino-compatible subset). */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Everything a role needs from the outside world. */
export interface Env {
  readonly net: UdpNet;
  readonly clock: Clock;
  readonly rng: Random;
  readonly log: Logger;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
