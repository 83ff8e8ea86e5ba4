// The state dir's JSON files (src/secure/state.ts): identity.json (loadState), and the lists a
// home or client keeps — authorized-clients.json, homes.json, pairing-codes.json — as the
// commands that read them use them. A damaged or hand-edited file must give a StateError (which
// names the file and what to do), never a TypeError from deep inside.
// Input: first byte picks the file, the rest is its content.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { isPortholeError } from '../../../src/errors.js';
import {
  AuthorizedCache,
  findHome,
  listPendingCodes,
  loadState,
  revokeAuthorized,
} from '../../../src/secure/state.js';
import { put, scratch } from '../files.js';
import { check, decodes, type FuzzTarget } from '../target.js';

const FILES = ['identity.json', 'authorized-clients.json', 'homes.json', 'pairing-codes.json'];
const ownError = (e: unknown): boolean => isPortholeError(e) && typeof e.kind === 'string';
const key = Buffer.alloc(32, 7).toString('base64url');

function seed(i: number, v: unknown): Uint8Array {
  return Buffer.concat([Buffer.from([i]), Buffer.from(JSON.stringify(v, null, 2))]);
}

export const target: FuzzTarget = {
  name: 'state-files',
  about: 'src/secure/state.ts loadState, authorized clients, known homes, pending codes',
  sources: ['src/secure/state.ts'],
  maxLen: 4096,
  seeds: () => [
    seed(0, {
      version: 1,
      role: 'home',
      identity: {
        ed: { x: 'hPqFKPw3OPyUcWxNp0Odk5oygBSu8hN3Nf_JQJIjSdw', d: key },
        dh: { pub: key, sec: key },
      },
    }),
    seed(1, [{ edPublic: key, dhPublic: key, name: 'phone', addedAt: '2026-12-03T10:00:00Z' }]),
    seed(2, [
      {
        homeId: 'ph-abc',
        edPublic: key,
        dhPublic: key,
        rendezvous: '198.51.100.1:7000',
        addedAt: '2026-12-03T10:00:00Z',
      },
    ]),
    seed(3, [{ id: '0123456789abcdef', secret: key, expiresAt: 1e13, used: false }]),
  ],
  fuzz(data) {
    const dir = scratch();
    for (const f of FILES) rmSync(join(dir, f), { force: true });
    const which = (data[0] ?? 0) % FILES.length;
    put(FILES[which] as string, data.subarray(1));
    switch (which) {
      case 0:
        for (const role of ['home', 'client'] as const) {
          const s = decodes(() => loadState(dir, role), ownError);
          if (s) check(s.identity.dhPublic.length === 32, 'an identity with a short key loaded');
        }
        return;
      case 1:
        decodes(() => new AuthorizedCache(dir).byEdKey(Buffer.alloc(32, 7)), ownError);
        decodes(() => revokeAuthorized(dir, key.slice(0, 6)), ownError);
        return;
      case 2: {
        const h = decodes(() => findHome(dir, 'ph-abc'), ownError);
        if (h) check(typeof h.rendezvous === 'string', 'a known home without a rendezvous');
        return;
      }
      default:
        decodes(() => listPendingCodes(dir).find((c) => c.id === '0123456789abcdef'), ownError);
    }
  },
};
