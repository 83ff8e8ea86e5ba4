/// <reference lib="dom" />
// What the phone keeps (IndexedDB, one key-value store): its identity, the homes it paired with
// (several), which one was open last, and each home's last known states (shown as stale while
// offline). Asks for persistent storage so the browser does not evict the keys under pressure.
import type { EntityState } from '../devices/model.js';
import { fromBase64Url, toBase64Url } from '../wire/bytes.js';

export interface StoredHome {
  homeId: string;
  /** The home's public keys (base64url), from the pairing code. */
  edPublic: string;
  dhPublic: string;
  /** The name this phone gave itself when pairing. */
  myName: string;
  addedAt: string;
}

interface StoredIdentity {
  ed: string;
  dh: string;
}

const DB = 'porthole';
const STORE = 'kv';

function db(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB unavailable'));
  });
}

async function op<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest): Promise<T> {
  const d = await db();
  return new Promise<T>((resolve, reject) => {
    const tx = d.transaction(STORE, mode);
    const req = fn(tx.objectStore(STORE));
    tx.oncomplete = () => {
      d.close();
      resolve(req.result as T);
    };
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB write failed'));
  });
}

const get = <T>(key: string): Promise<T | undefined> =>
  op<T | undefined>('readonly', (s) => s.get(key));
const put = (key: string, value: unknown): Promise<void> =>
  op<unknown>('readwrite', (s) => s.put(value, key)).then(() => undefined);

export async function loadIdentity(): Promise<{ ed: Uint8Array; dh: Uint8Array } | undefined> {
  const id = await get<StoredIdentity>('identity');
  return id ? { ed: fromBase64Url(id.ed), dh: fromBase64Url(id.dh) } : undefined;
}

export async function saveIdentity(ed: Uint8Array, dh: Uint8Array): Promise<void> {
  await put('identity', { ed: toBase64Url(ed), dh: toBase64Url(dh) } satisfies StoredIdentity);
}

export async function loadHomes(): Promise<StoredHome[]> {
  return (await get<StoredHome[]>('homes')) ?? [];
}

export async function saveHome(h: StoredHome): Promise<StoredHome[]> {
  const homes = (await loadHomes()).filter((x) => x.homeId !== h.homeId);
  homes.push(h);
  await put('homes', homes);
  return homes;
}

export async function lastHome(): Promise<string | undefined> {
  return get<string>('last-home');
}

export async function setLastHome(homeId: string): Promise<void> {
  await put('last-home', homeId);
}

export async function loadStates(homeId: string): Promise<EntityState[]> {
  return (await get<EntityState[]>(`states:${homeId}`)) ?? [];
}

export async function saveStates(homeId: string, states: EntityState[]): Promise<void> {
  await put(`states:${homeId}`, states);
}

/** Asks the browser to keep this origin's storage (keys) under pressure; false if it won't. */
export async function persistStorage(): Promise<boolean> {
  try {
    return (await navigator.storage?.persist?.()) ?? false;
  } catch {
    return false;
  }
}
