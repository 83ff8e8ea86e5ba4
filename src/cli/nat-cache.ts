// The client's NAT class cached in its state dir (issue 9): a connect within 10 minutes of the
// last classification skips it (the ~1 s wait before the first assist). A file that cannot be
// read or parsed is ignored; a network change within the window is caught by the ladder's
// fallback rounds.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NatClass } from '../discovery/nat-class.js';
import { natFromWire, natToWire } from '../discovery/nat-class.js';

const FILE = 'nat.json';
const MAX_AGE_MS = 10 * 60_000;

export function loadCachedNat(stateDir: string, now = Date.now()): NatClass | undefined {
  try {
    const raw = JSON.parse(readFileSync(join(stateDir, FILE), 'utf8')) as {
      at?: unknown;
      nat?: unknown;
    };
    if (typeof raw.at !== 'number' || now - raw.at > MAX_AGE_MS || now < raw.at) return undefined;
    const w = raw.nat as Record<string, unknown> | undefined;
    const num = (k: string): number => (typeof w?.[k] === 'number' ? w[k] : 0);
    const nat = natFromWire({
      mapping: num('mapping'),
      filtering: num('filtering'),
      allocation: num('allocation'),
      delta: num('delta'),
    });
    return nat.mapping === 'unknown' ? undefined : nat;
  } catch {
    return undefined;
  }
}

export function saveCachedNat(stateDir: string, nat: NatClass, now = Date.now()): void {
  if (nat.mapping === 'unknown') return;
  try {
    writeFileSync(join(stateDir, FILE), JSON.stringify({ at: now, nat: natToWire(nat) }) + '\n');
  } catch {
    // A read-only state dir only costs the next connect its classification.
  }
}
