// The per-network transport cache (src/cli/transport-cache.ts, transport.json): which relay
// transport reached the rendezvous and the fronts it named. A damaged file only costs a probe:
// loadTransport never throws and gives a known transport and well-formed fronts or nothing.
import { join } from 'node:path';
import { loadTransport } from '../../../src/cli/transport-cache.js';
import { URL_PATTERN } from '../../../src/wire/server-messages.js';
import { put } from '../files.js';
import { check, decodes, type FuzzTarget } from '../target.js';

const NOW = Date.UTC(2026, 11, 3);
const KEY = '198.51.100.1:7000 * 192.168.1.20';

export const target: FuzzTarget = {
  name: 'transport-cache',
  about: 'src/cli/transport-cache.ts loadTransport (transport.json)',
  sources: ['src/cli/transport-cache.ts'],
  maxLen: 4096,
  seeds: () => [
    Buffer.from(
      JSON.stringify({
        v: 1,
        entries: [
          {
            key: KEY,
            at: NOW - 1000,
            transport: 'tcp',
            fronts: {
              tcpPort: 443,
              wsUrl: 'wss://rv.example.net/porthole',
              appUrl: 'https://rv.example.net/',
            },
          },
          { key: 'other', at: NOW - 5000, transport: 'ws' },
        ],
      }),
    ),
    Buffer.from(JSON.stringify({ v: 1, entries: [{ key: KEY, at: NOW, transport: 'udp' }] })),
  ],
  fuzz(data) {
    const file = join(put('transport.json', data), 'transport.json');
    const c = decodes(() => loadTransport(file, KEY, NOW));
    check(c, 'no answer');
    if (c.transport !== undefined) check(['udp', 'tcp', 'ws'].includes(c.transport), 'transport');
    if (c.fronts) {
      const f = c.fronts;
      check(Number.isInteger(f.tcpPort) && f.tcpPort >= 0 && f.tcpPort <= 65535, 'tcpPort');
      check(URL_PATTERN.test(f.wsUrl) && URL_PATTERN.test(f.appUrl), 'front URLs');
    }
  },
};
