// Socket addresses: parsing user input ("IP:PORT", "[v6]:PORT") and formatting for logs/reports.
import type { SocketAddr } from './socket-addr.js';
import { isIP } from './ip.js';

export class AddressError extends Error {
  override name = 'AddressError';
}

export function isValidPort(port: number): boolean {
  return Number.isInteger(port) && port >= 0 && port <= 65535;
}

/** Parses "HOST:PORT" or "[IPv6]:PORT". Hosts must be IP literals (no DNS inside the protocol). */
export function parseAddr(text: string, opts: { allowPortZero?: boolean } = {}): SocketAddr {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  if (!m)
    throw new AddressError(`"${text}" is not an address: expected IP:PORT, e.g. 127.0.0.1:7000`);
  const ip = m[1] as string;
  const port = Number(m[2]);
  if (isIP(ip) === 0)
    throw new AddressError(`"${ip}" is not an IP address (use a literal like 203.0.113.5)`);
  if (!isValidPort(port) || (port === 0 && !opts.allowPortZero)) {
    throw new AddressError(`port ${m[2]} in "${text}" is out of range (1-65535)`);
  }
  return { ip, port };
}

export function formatAddr(a: SocketAddr): string {
  return a.ip.includes(':') ? `[${a.ip}]:${a.port}` : `${a.ip}:${a.port}`;
}

export function sameAddr(a: SocketAddr, b: SocketAddr): boolean {
  return a.port === b.port && a.ip === b.ip;
}

/** Key for maps keyed by address. */
export function addrKey(a: SocketAddr): string {
  return `${a.ip}|${a.port}`;
}
