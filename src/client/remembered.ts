// Remembered paths (issue 11): after a connect that worked, the client keeps, per home, the path
// it took (its own local port and the home's address that answered) in one small JSON file of
// its state dir, so the next connect can knock there first (resume.ts) before asking the
// rendezvous for a spray. Bounded: a few dozen homes, a size cap on read, old entries ignored.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeJson } from '../secure/state.js';
import { parseAddr } from '../wire/addr.js';

export const PATHS_FILE = 'paths.json';
/** NAT mappings rarely outlive a few minutes idle; an older path is not worth its timeout. */
export const PATH_MAX_AGE_MS = 5 * 60_000;
const MAX_HOMES = 32;
const MAX_FILE_BYTES = 64 * 1024;

export interface RememberedPath {
  /** The client's local UDP port that reached the home (bound again if free). */
  localPort: number;
  /** The home's address that answered, as "ip:port". */
  home: string;
  /** Wall-clock ms when it last worked. */
  at: number;
  /** NAT classes, when something measured them (discovery); informational. */
  clientNat?: string;
  homeNat?: string;
}

/** One home's remembered path in one state dir. */
export interface PathMemory {
  recall(): RememberedPath | undefined;
  remember(p: Omit<RememberedPath, 'at'>): void;
  forget(): void;
}

type PathsFile = { v: 1; homes: Record<string, RememberedPath> };

/** Parses one untrusted entry; undefined unless every field is well-formed. */
function parsePath(raw: unknown): RememberedPath | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const port = r.localPort;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return;
  if (typeof r.home !== 'string' || typeof r.at !== 'number' || !Number.isFinite(r.at)) return;
  try {
    parseAddr(r.home);
  } catch {
    return undefined;
  }
  const nat = (v: unknown): string | undefined =>
    typeof v === 'string' && v.length <= 32 ? v : undefined;
  const clientNat = nat(r.clientNat);
  const homeNat = nat(r.homeNat);
  return {
    localPort: port,
    home: r.home,
    at: r.at,
    ...(clientNat ? { clientNat } : {}),
    ...(homeNat ? { homeNat } : {}),
  };
}

function readPaths(dir: string): PathsFile {
  const path = join(dir, PATHS_FILE);
  const out: PathsFile = { v: 1, homes: {} };
  try {
    if (!existsSync(path) || statSync(path).size > MAX_FILE_BYTES) return out;
    const raw = JSON.parse(readFileSync(path, 'utf8')) as { homes?: unknown };
    if (typeof raw.homes !== 'object' || raw.homes === null) return out;
    for (const [id, entry] of Object.entries(raw.homes).slice(0, MAX_HOMES)) {
      const p = parsePath(entry);
      if (p && id.length <= 128) out.homes[id] = p;
    }
  } catch {
    // a damaged file only costs the shortcut: the next success rewrites it
  }
  return out;
}

function writePaths(dir: string, file: PathsFile): void {
  const newestFirst = Object.entries(file.homes).sort((a, b) => b[1].at - a[1].at);
  const homes = Object.fromEntries(newestFirst.slice(0, MAX_HOMES));
  try {
    writeJson(dir, PATHS_FILE, { v: 1, homes });
  } catch {
    // a read-only state dir only costs the shortcut
  }
}

/** The remembered path to `homeId` in `stateDir`; `wallNow` stamps and ages the entries. */
export function pathMemory(
  stateDir: string,
  homeId: string,
  wallNow: () => number = Date.now,
): PathMemory {
  return {
    recall() {
      const p = readPaths(stateDir).homes[homeId];
      if (!p) return undefined;
      const age = wallNow() - p.at;
      return age >= 0 && age <= PATH_MAX_AGE_MS ? p : undefined;
    },
    remember(p) {
      const file = readPaths(stateDir);
      file.homes[homeId] = { ...p, at: wallNow() };
      writePaths(stateDir, file);
    },
    forget() {
      const file = readPaths(stateDir);
      if (!(homeId in file.homes)) return;
      delete file.homes[homeId];
      writePaths(stateDir, file);
    },
  };
}
