// IPv4 text ⇄ bytes and the address classes that matter for port mapping.

/** Four octets of a dotted-quad, or undefined if `ip` is not one. */
export function ipv4Bytes(ip: string): Uint8Array | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

export function ipv4Text(b: Uint8Array, offset = 0): string {
  return `${b[offset]}.${b[offset + 1]}.${b[offset + 2]}.${b[offset + 3]}`;
}

const NOT_PUBLIC: ReadonlyArray<readonly [number, number, number]> = [
  // [first octet, second-octet low, second-octet high]
  [10, 0, 255], // RFC 1918
  [172, 16, 31], // RFC 1918
  [192, 168, 168], // RFC 1918
  [100, 64, 127], // RFC 6598 shared address space (CGNAT)
  [127, 0, 255],
  [169, 254, 254],
  [0, 0, 255],
];

/**
 * True if `ip` cannot be the home's address on the internet: RFC 1918, CGNAT 100.64/10,
 * loopback, link-local, 0/8, or not IPv4 at all. A router reporting such an external address
 * sits behind another NAT, so the mapping it grants is not reachable from outside.
 */
export function isNonPublicIpv4(ip: string): boolean {
  const b = ipv4Bytes(ip);
  if (!b) return true;
  const [a, s] = [b[0] as number, b[1] as number];
  return NOT_PUBLIC.some(([first, lo, hi]) => a === first && s >= lo && s <= hi);
}
