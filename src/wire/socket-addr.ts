// The one address type every layer names: the wire codec reads and writes it, the UDP seam
// (net/types.ts) sends to it. It lives here, at the bottom, so the codec depends on nothing above.

/** An IPv4 or IPv6 address and a UDP port. Immutable value. */
export interface SocketAddr {
  readonly ip: string;
  readonly port: number;
}
