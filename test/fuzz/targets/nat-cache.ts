// The per-network NAT-class cache (src/cli/nat-cache.ts, nat.json): a damaged file only costs a
// classification — loadCachedNat gives a class or undefined and never throws.
import { join } from 'node:path';
import { loadCachedNat } from '../../../src/cli/nat-cache.js';
import { put } from '../files.js';
import { check, decodes, type FuzzTarget } from '../target.js';

const NOW = Date.UTC(2026, 11, 3);
const KEY = '198.51.100.1:7000 * 192.168.1.20';

export const target: FuzzTarget = {
  name: 'nat-cache',
  about: 'src/cli/nat-cache.ts loadCachedNat (nat.json)',
  sources: ['src/cli/nat-cache.ts'],
  maxLen: 4096,
  seeds: () => [
    Buffer.from(
      JSON.stringify({
        v: 2,
        entries: [
          {
            key: KEY,
            at: NOW - 1000,
            ip: '203.0.113.7',
            nat: { mapping: 1, filtering: 3, allocation: 2, delta: 2 },
          },
          {
            key: 'other',
            at: NOW - 5000,
            ip: '203.0.113.8',
            nat: { mapping: 3, filtering: 3, allocation: 0, delta: 0 },
          },
        ],
      }),
    ),
  ],
  fuzz(data) {
    const file = join(put('nat.json', data), 'nat.json');
    const c = decodes(() => loadCachedNat(file, KEY, NOW));
    if (c) check(typeof c.publicIp === 'string' && c.nat.mapping !== 'unknown', 'cached class');
  },
};
