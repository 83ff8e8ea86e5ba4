// HOST:PORT on the command line, where HOST may be a DNS name. The protocol itself only ever
// carries IP literals; names are resolved here, at the edge, and every A/AAAA record is kept so
// the caller can try them in turn (several rendezvous nodes behind one name).
import { InvalidArgumentError } from 'commander';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { PortholeError } from '../errors.js';
import type { SocketAddr } from '../net/types.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

const NAME =
  /^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** Parses "name:port", "192.0.2.1:port" or "[2001:db8::1]:port"; throws InvalidArgumentError. */
export function hostPortArg(text: string): HostPort {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || !(port >= 1 && port <= 65535))
    throw new InvalidArgumentError(`"${text}" is not HOST:PORT (e.g. rv.example.net:7400)`);
  const host = m[1] as string;
  if (text.startsWith('[') ? isIP(host) !== 6 : isIP(host) === 0 && !NAME.test(host))
    throw new InvalidArgumentError(`"${host}" is neither an IP address nor a DNS name`);
  return { host, port };
}

export type Lookup = (host: string) => Promise<Array<{ address: string; family: number }>>;

const systemLookup: Lookup = (host) => dnsLookup(host, { all: true, verbatim: true });

/** Every address of `hp` (an IP literal gives itself); PortholeError kind 'dns' when none. */
export async function resolveHostPort(
  hp: HostPort,
  lookup: Lookup = systemLookup,
): Promise<SocketAddr[]> {
  if (isIP(hp.host) !== 0) return [{ ip: hp.host, port: hp.port }];
  let found: Array<{ address: string }>;
  try {
    found = await lookup(hp.host);
  } catch (e) {
    throw new PortholeError(
      'dns',
      `cannot resolve ${hp.host}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      { host: hp.host },
    );
  }
  const addrs = [...new Set(found.map((f) => f.address))].filter((a) => isIP(a) !== 0);
  if (addrs.length === 0)
    throw new PortholeError('dns', `${hp.host} has no A or AAAA record`, { host: hp.host });
  return addrs.map((ip) => ({ ip, port: hp.port }));
}

export function formatHostPort(hp: HostPort): string {
  return isIP(hp.host) === 6 ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}
