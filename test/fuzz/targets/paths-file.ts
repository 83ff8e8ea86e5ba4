// Remembered paths (src/client/remembered.ts, paths.json): recall() gives a well-formed path or
// undefined for any file content, and never throws.
import { pathMemory } from '../../../src/client/remembered.js';
import { parseAddr } from '../../../src/wire/addr.js';
import { put } from '../files.js';
import { check, decodes, type FuzzTarget } from '../target.js';

const NOW = Date.UTC(2026, 11, 3);

export const target: FuzzTarget = {
  name: 'paths-file',
  about: 'src/client/remembered.ts pathMemory().recall() (paths.json)',
  sources: ['src/client/remembered.ts'],
  maxLen: 4096,
  seeds: () => [
    Buffer.from(
      JSON.stringify({
        v: 1,
        homes: {
          'ph-abc': {
            localPort: 40000,
            home: '203.0.113.10:7401',
            at: NOW - 1000,
            clientNat: 'port-restricted',
          },
          'ph-v6': { localPort: 40001, home: '[2001:db8::5]:7401', at: NOW - 2000 },
        },
      }),
    ),
  ],
  fuzz(data) {
    const dir = put('paths.json', data);
    for (const id of ['ph-abc', 'ph-v6', '__proto__', 'constructor']) {
      const p = decodes(() => pathMemory(dir, id, () => NOW).recall());
      if (!p) continue;
      check(Number.isInteger(p.localPort) && p.localPort > 0 && p.localPort < 65536, 'port');
      check(
        decodes(() => parseAddr(p.home)),
        'a remembered home address that does not parse',
      );
    }
  },
};
