// The state directory: identity and trust stores, one JSON file each, written atomically with
// mode 0600 in a 0700 directory. Every read validates; a corrupt or unreadable file is a clear
// error that names the file and what to do, never a half-loaded identity.
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  fingerprint,
  generateIdentity,
  homeIdOf,
  identityFromJson,
  identityToJson,
  type Identity,
  type IdentityJson,
} from './keys.js';
import { writeJson } from './json-file.js';
import { stateError } from './state-errors.js';

export type Role = 'home' | 'client';

export { stateError, type StateError, type StateErrorKind } from './state-errors.js';

const FILES = {
  identity: 'identity.json',
  authorized: 'authorized-clients.json',
  homes: 'homes.json',
  pairing: 'pairing-codes.json',
  config: 'config.json',
} as const;

export { writeJson } from './json-file.js';

/**
 * A JSON array file; absent = empty, anything but an array of well-formed entries = corrupt (a
 * hand-edited entry is reported with the file's name, not met later as a missing field).
 */
function readList<T>(dir: string, file: string, entry: (x: Partial<T>) => boolean): T[] {
  const list = readJson<unknown>(dir, file, []);
  if (!Array.isArray(list)) throw stateError('file-corrupt', { path: join(dir, file) });
  const bad = list.findIndex((x) => typeof x !== 'object' || x === null || !entry(x as T));
  if (bad >= 0)
    throw stateError('file-corrupt', {
      path: join(dir, file),
      cause: `entry ${bad + 1} lacks a field or has one of the wrong type`,
    });
  return list as T[];
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const isOptStr = (v: unknown): boolean => v === undefined || typeof v === 'string';

function readJson<T>(dir: string, file: string, fallback?: T): T {
  const path = join(dir, file);
  if (!existsSync(path)) {
    if (fallback !== undefined) return fallback;
    throw stateError('file-missing', { path });
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw stateError('file-unreadable', { path, cause: (e as Error).message });
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw stateError('file-not-json', { path });
  }
}

interface IdentityFile {
  version: 1;
  role: Role;
  identity: IdentityJson;
}

export interface State {
  dir: string;
  role: Role;
  identity: Identity;
  /** For a home: its id, derived from its keys. */
  homeId: string;
}

export function initState(dir: string, role: Role): State {
  if (existsSync(join(dir, FILES.identity))) {
    throw stateError('state-exists', { path: dir });
  }
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  } catch (e) {
    throw stateError('state-uncreatable', { path: dir, cause: (e as Error).message });
  }
  const identity = generateIdentity();
  writeJson(dir, FILES.identity, {
    version: 1,
    role,
    identity: identityToJson(identity),
  } satisfies IdentityFile);
  return { dir, role, identity, homeId: homeIdOf(identity) };
}

export function loadState(dir: string, role: Role): State {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw stateError('state-missing', { path: dir, role });
  }
  if (!existsSync(join(dir, FILES.identity))) {
    throw stateError('no-identity', { path: dir, role });
  }
  const f = readJson<IdentityFile>(dir, FILES.identity);
  if (
    f?.version !== 1 ||
    (f.role !== 'home' && f.role !== 'client') ||
    !f.identity?.ed ||
    !f.identity?.dh
  ) {
    throw stateError('file-corrupt', {
      path: join(dir, FILES.identity),
      cause: 'not a Porthole identity',
    });
  }
  if (f.role !== role) throw stateError('wrong-role', { path: dir, role, found: f.role });
  let identity: Identity;
  try {
    identity = identityFromJson(f.identity);
  } catch (e) {
    throw stateError('file-corrupt', {
      path: join(dir, FILES.identity),
      cause: (e as Error).message,
    });
  }
  return { dir, role, identity, homeId: homeIdOf(identity) };
}

// --- home: authorized clients ---------------------------------------------------------------

export interface AuthorizedClient {
  edPublic: string; // base64url
  dhPublic: string;
  name: string;
  addedAt: string;
}

export function listAuthorized(dir: string): AuthorizedClient[] {
  return readList<AuthorizedClient>(
    dir,
    FILES.authorized,
    (c) => isStr(c.edPublic) && isStr(c.dhPublic) && isOptStr(c.name) && isOptStr(c.addedAt),
  );
}

export function addAuthorized(dir: string, c: AuthorizedClient): void {
  const list = listAuthorized(dir).filter((x) => x.edPublic !== c.edPublic);
  writeJson(dir, FILES.authorized, [...list, c]);
}

/** Revokes by fingerprint or base64url key (a unique prefix of either is enough). */
export function revokeAuthorized(dir: string, key: string): AuthorizedClient {
  const list = listAuthorized(dir);
  const hits = list.filter(
    (c) =>
      c.edPublic.startsWith(key) ||
      fingerprint(Buffer.from(c.edPublic, 'base64url')).startsWith(key),
  );
  if (hits.length === 0) throw stateError('no-such-client', { path: dir, key });
  if (hits.length > 1)
    throw stateError('ambiguous-client', { path: dir, key, matches: hits.length });
  const gone = hits[0] as AuthorizedClient;
  writeJson(
    dir,
    FILES.authorized,
    list.filter((c) => c !== gone),
  );
  return gone;
}

/** Cached view of the authorized list that re-reads the file when it changes (pair, revoke). */
export class AuthorizedCache {
  /** mtime, inode and size of the file last read: two writes inside one mtime tick (a pairing
   *  then a revocation) still differ by inode, since every write is a rename (writeJson). */
  private seen = '';
  private byDh = new Map<string, AuthorizedClient>();
  private byEd = new Map<string, AuthorizedClient>();
  private checkedAt = -Infinity;
  constructor(private readonly dir: string) {}
  /** Stats the file unless it was stat'ed less than `maxAgeMs` ago. */
  private refresh(maxAgeMs = 0): void {
    const now = performance.now();
    if (now - this.checkedAt < maxAgeMs) return;
    this.checkedAt = now;
    const st = statSync(join(this.dir, FILES.authorized), { throwIfNoEntry: false });
    const key = st ? `${st.mtimeMs}:${st.ino}:${st.size}` : 'none';
    if (key === this.seen) return;
    const list = listAuthorized(this.dir);
    this.byDh = new Map(list.map((c) => [c.dhPublic, c]));
    this.byEd = new Map(list.map((c) => [c.edPublic, c]));
    this.seen = key;
  }
  byEdKey(ed: Uint8Array): AuthorizedClient | undefined {
    this.refresh();
    return this.byEd.get(Buffer.from(ed).toString('base64url'));
  }
  /**
   * `maxAgeMs` > 0 lets a caller on the per-message path (revocation on a live channel) reuse a
   * check that recent: one stat per frame cost a quarter of the home's CPU on a forwarded stream.
   */
  byDhKey(dh: Uint8Array, maxAgeMs = 0): AuthorizedClient | undefined {
    this.refresh(maxAgeMs);
    return this.byDh.get(Buffer.from(dh).toString('base64url'));
  }
}

// --- home: pending pairing codes ------------------------------------------------------------

export interface PendingCode {
  id: string; // hex, identifies the code without revealing its secret
  secret: string; // base64url
  expiresAt: number; // ms since epoch
  used: boolean;
}

const MAX_PENDING = 16;

export function listPendingCodes(dir: string): PendingCode[] {
  return readList<PendingCode>(
    dir,
    FILES.pairing,
    (c) =>
      isStr(c.id) &&
      isStr(c.secret) &&
      typeof c.expiresAt === 'number' &&
      typeof c.used === 'boolean',
  );
}

export function addPendingCode(dir: string, code: PendingCode, now = Date.now()): void {
  const keep = listPendingCodes(dir).filter((c) => c.expiresAt > now && !c.used);
  writeJson(dir, FILES.pairing, [...keep.slice(-(MAX_PENDING - 1)), code]);
}

export function markCodeUsed(dir: string, id: string): void {
  writeJson(
    dir,
    FILES.pairing,
    listPendingCodes(dir).map((c) => (c.id === id ? { ...c, used: true } : c)),
  );
}

// --- client: known homes --------------------------------------------------------------------

export interface KnownHome {
  homeId: string;
  edPublic: string;
  dhPublic: string;
  rendezvous: string;
  addedAt: string;
}

export function listHomes(dir: string): KnownHome[] {
  return readList<KnownHome>(
    dir,
    FILES.homes,
    (h) =>
      isStr(h.homeId) &&
      isStr(h.edPublic) &&
      isStr(h.dhPublic) &&
      isStr(h.rendezvous) &&
      isOptStr(h.addedAt),
  );
}

export function addHome(dir: string, h: KnownHome): void {
  writeJson(dir, FILES.homes, [...listHomes(dir).filter((x) => x.homeId !== h.homeId), h]);
}

export function findHome(dir: string, homeId: string): KnownHome {
  const h = listHomes(dir).find((x) => x.homeId === homeId);
  if (!h) throw stateError('home-not-paired', { path: dir, homeId });
  return h;
}

// --- home: config ---------------------------------------------------------------------------

/** Updates keys of config.json, keeping every other key the user wrote there. */
export function saveConfig(dir: string, cfg: { rendezvous: string }): void {
  const current = readJson<unknown>(dir, FILES.config, {});
  const kept =
    typeof current === 'object' && current !== null && !Array.isArray(current) ? current : {};
  writeJson(dir, FILES.config, { ...kept, ...cfg });
}
