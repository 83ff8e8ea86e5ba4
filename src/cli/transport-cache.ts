// What reached the rendezvous on this network (issue 21 item 1): `<state>/transport.json` with
// --state, else `~/.cache/porthole/transport.json` beside the NAT cache. Keyed like the NAT cache
// by the rendezvous and this host's interface addresses (which tell networks apart even when UDP
// is blocked and no public IP can be learned); holds the transport that worked and the fronts the
// rendezvous last named (serverInfo). Entries live 1 day; at most 16; written 0600 atomically;
// an unreadable, oversized or malformed file is ignored.
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { RelayTransport } from '../client/relay-choice.js';
import type { ServerFronts } from '../client/transport-auto.js';
import { writeJson } from '../secure/state.js';
import { URL_PATTERN } from '../wire/server-messages.js';

export const TRANSPORT_CACHE_TTL_MS = 24 * 60 * 60_000;
const MAX_ENTRIES = 16;
const MAX_FILE_BYTES = 16 * 1024;
const TRANSPORTS: readonly RelayTransport[] = ['udp', 'tcp', 'ws'];

interface Entry {
  key: string;
  at: number;
  transport: RelayTransport;
  fronts?: ServerFronts;
}

export function transportCacheFile(natFile: string): string {
  return join(dirname(natFile), 'transport.json');
}

export function loadTransport(
  file: string,
  key: string,
  now = Date.now(),
): { transport?: RelayTransport; fronts?: ServerFronts } {
  const e = readEntries(file).find((x) => x.key === key && fresh(x, now));
  return e ? { transport: e.transport, ...(e.fronts ? { fronts: e.fronts } : {}) } : {};
}

/** Best effort: a cache that cannot be written only costs the next connect the 1 s probe. */
export function saveTransport(
  file: string,
  key: string,
  transport: RelayTransport,
  fronts: ServerFronts | undefined,
  now = Date.now(),
): void {
  const keep = readEntries(file)
    .filter((x) => x.key !== key && fresh(x, now))
    .sort((a, b) => b.at - a.at)
    .slice(0, MAX_ENTRIES - 1);
  const entries: Entry[] = [{ key, at: now, transport, ...(fronts ? { fronts } : {}) }, ...keep];
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeJson(dirname(file), basename(file), { v: 1, entries });
  } catch {
    // read-only or full: probed again next time
  }
}

/** Forget this network's entry (what it said no longer works). */
export function forgetTransport(file: string, key: string, now = Date.now()): void {
  const keep = readEntries(file).filter((x) => x.key !== key && fresh(x, now));
  try {
    writeJson(dirname(file), basename(file), { v: 1, entries: keep });
  } catch {
    // nothing to forget
  }
}

function fresh(e: Entry, now: number): boolean {
  return e.at <= now && now - e.at <= TRANSPORT_CACHE_TTL_MS;
}

function readEntries(file: string): Entry[] {
  try {
    if (statSync(file).size > MAX_FILE_BYTES) return [];
    const raw = JSON.parse(readFileSync(file, 'utf8')) as { v?: unknown; entries?: unknown };
    if (raw.v !== 1 || !Array.isArray(raw.entries)) return [];
    return raw.entries.filter(isEntry).slice(0, MAX_ENTRIES);
  } catch {
    return [];
  }
}

function isEntry(x: unknown): x is Entry {
  const e = x as Partial<Entry> | null;
  if (typeof e !== 'object' || e === null) return false;
  if (typeof e.key !== 'string' || typeof e.at !== 'number') return false;
  if (!TRANSPORTS.includes(e.transport as RelayTransport)) return false;
  if (e.fronts === undefined) return true;
  const f = e.fronts as Partial<ServerFronts> | null;
  return (
    typeof f === 'object' &&
    f !== null &&
    Number.isInteger(f.tcpPort) &&
    (f.tcpPort as number) >= 0 &&
    (f.tcpPort as number) <= 65535 &&
    typeof f.wsUrl === 'string' &&
    URL_PATTERN.test(f.wsUrl) &&
    typeof f.appUrl === 'string' &&
    URL_PATTERN.test(f.appUrl)
  );
}
