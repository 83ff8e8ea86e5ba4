// The client's NAT class, cached per network (issue 9), so a connect needs no classification:
// `<state>/nat.json` with --state, else `$XDG_CACHE_HOME/porthole/nat.json` (or
// `~/.cache/porthole/nat.json`). An entry is keyed by what tells networks apart before any packet
// leaves: the rendezvous and this host's interface addresses; it also keeps the public IP the
// classification saw, and the connect learns the class again when the rendezvous sees another
// (client/nat-probe.ts). Entries live 5 minutes; the file holds at most 16, is written 0600 and
// atomically (temp file + rename), and a file that is unreadable, too big or malformed is ignored.
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { writeJson } from '../secure/json-file.js';
import { homedir, networkInterfaces } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { NatClass } from '../discovery/nat-class.js';
import { natFromWire, natLabel, natToWire } from '../discovery/nat-class.js';
import type { SocketAddr } from '../net/types.js';
import { formatAddr } from '../wire/addr.js';

export const NAT_CACHE_TTL_MS = 5 * 60_000;
const MAX_ENTRIES = 16;
const MAX_FILE_BYTES = 16 * 1024;

export interface CachedNat {
  readonly nat: NatClass;
  /** The public IP the rendezvous's STUN saw when the class was learned. */
  readonly publicIp: string;
}

interface Entry {
  key: string;
  at: number;
  ip: string;
  nat: { mapping: number; filtering: number; allocation: number; delta: number };
}

/** The cache file: in the state dir when there is one, else the per-user cache dir. */
export function natCacheFile(
  stateDir: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (stateDir) return join(stateDir, 'nat.json');
  const base = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'porthole', 'nat.json');
}

/** What identifies the network before we send: the rendezvous, our bind IP, our addresses. */
export function networkKey(
  rendezvous: SocketAddr,
  bindIp: string | undefined,
  ifaces: ReturnType<typeof networkInterfaces> = networkInterfaces(),
): string {
  const locals = Object.values(ifaces)
    .flatMap((list) => list ?? [])
    .filter((i) => !i.internal)
    .map((i) => i.address)
    .sort();
  return [formatAddr(rendezvous), bindIp ?? '*', ...locals].join(' ');
}

export function loadCachedNat(file: string, key: string, now = Date.now()): CachedNat | undefined {
  const e = readEntries(file).find((x) => x.key === key && fresh(x, now));
  if (!e) return undefined;
  const nat = natFromWire(e.nat);
  return nat.mapping === 'unknown' ? undefined : { nat, publicIp: e.ip };
}

/** Best effort: a cache that cannot be written only costs the next connect a classification. */
export function saveCachedNat(
  file: string,
  key: string,
  nat: NatClass,
  publicIp: string | undefined,
  now = Date.now(),
): void {
  if (nat.mapping === 'unknown' || !publicIp) return;
  const keep = readEntries(file)
    .filter((x) => x.key !== key && fresh(x, now))
    .sort((a, b) => b.at - a.at)
    .slice(0, MAX_ENTRIES - 1);
  const entries: Entry[] = [{ key, at: now, ip: publicIp, nat: natToWire(nat) }, ...keep];
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeJson(dirname(file), basename(file), { v: 2, entries });
  } catch {
    // read-only or full: the class is learned again next time
  }
}

function fresh(e: Entry, now: number): boolean {
  return e.at <= now && now - e.at <= NAT_CACHE_TTL_MS;
}

function readEntries(file: string): Entry[] {
  try {
    if (statSync(file).size > MAX_FILE_BYTES) return [];
    const raw = JSON.parse(readFileSync(file, 'utf8')) as { v?: unknown; entries?: unknown };
    if (raw.v !== 2 || !Array.isArray(raw.entries)) return [];
    return raw.entries.filter(isEntry).slice(0, MAX_ENTRIES);
  } catch {
    return [];
  }
}

function isEntry(x: unknown): x is Entry {
  const e = x as Partial<Entry> | null;
  const byte = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n);
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.key === 'string' &&
    typeof e.at === 'number' &&
    typeof e.ip === 'string' &&
    typeof e.nat === 'object' &&
    e.nat !== null &&
    byte(e.nat.mapping) &&
    byte(e.nat.filtering) &&
    byte(e.nat.allocation) &&
    byte(e.nat.delta)
  );
}

/**
 * Classifications still running for this process's connects (they outlive a quick connect to
 * fill the cache): a command waits for them, bounded, before it exits.
 */
export class NatLearning {
  private running = 0;
  private waiters: Array<() => void> = [];
  private last: { nat: NatClass; sent: number } | undefined;

  readonly started = (): void => {
    this.running++;
  };

  readonly ended = (nat: NatClass, sent: number): void => {
    if (nat.mapping !== 'unknown') this.last = { nat, sent };
    this.running = Math.max(0, this.running - 1);
    if (this.running > 0) return;
    const w = this.waiters;
    this.waiters = [];
    for (const cb of w) cb();
  };

  /** A report made before classification ended: the class (and its STUN count) it learned. */
  complete<R extends { clientNat?: string; discoveryPackets?: number }>(report: R): R {
    const l = this.last;
    if (!l || (report.clientNat !== undefined && report.clientNat !== 'unknown')) return report;
    return { ...report, clientNat: natLabel(l.nat), discoveryPackets: l.sent };
  }

  /** Resolves once none runs, or after maxMs. */
  idle(maxMs: number): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, maxMs);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

export const natLearning = new NatLearning();
