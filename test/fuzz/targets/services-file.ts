// The home's services file (src/streams/services.ts, services.json: what `home serve` writes and
// a running home re-reads on change), the NAME=HOST:PORT spec `home serve` takes, and the
// configuration.yaml scan for HA's trusted_networks. Input: the spec line, then the file.
// Contract: ServiceSpecError only; an accepted file lists at most MAX_SERVICES services, each
// with a valid name, an IP literal, a port 1-65535 and a valid allow list.
import { isIP } from 'node:net';
import {
  haTrustsLoopback,
  loadServices,
  MAX_SERVICES,
  parseServiceSpec,
  ServiceSpecError,
  SERVICES_FILE,
} from '../../../src/streams/services.js';
import { SERVICE_NAME } from '../../../src/streams/wire.js';
import { put } from '../files.js';
import { check, decodes, headed, splitHead, type FuzzTarget } from '../target.js';

export const target: FuzzTarget = {
  name: 'services-file',
  about: 'src/streams/services.ts loadServices (services.json), parseServiceSpec, haTrustsLoopback',
  sources: ['src/streams/services.ts'],
  maxLen: 4096,
  seeds: () => [
    headed(
      'ha=127.0.0.1:8123',
      JSON.stringify({
        services: [
          { name: 'ha', host: '127.0.0.1', port: 8123, allow: 'all-paired' },
          { name: 'nas-web', host: '192.168.1.5', port: 5000, allow: ['abcd2345', 'zzzz7777'] },
          { name: 'printer', host: 'fd00::5', port: 631, allow: [] },
        ],
        haConfig: '/config/configuration.yaml',
      }),
    ),
    headed('cam=[fd00::7]:554', JSON.stringify({ services: [] })),
    headed(
      'http:\n  trusted_networks:\n    - 127.0.0.1\n    - "192.168.1.0/24"',
      JSON.stringify({ services: [{ name: 'x', host: '::1', port: 1, allow: 'all-paired' }] }),
    ),
  ],
  fuzz(data) {
    const { head, body } = splitHead(data);
    const spec = decodes(() => parseServiceSpec(head), ServiceSpecError);
    if (spec) check(SERVICE_NAME.test(spec.name) && isIP(spec.host) > 0, 'spec');
    const t = decodes(() => haTrustsLoopback(head.replace(/\\n/g, '\n')));
    check(t === undefined || typeof t === 'string', 'trusted network');
    const dir = put(SERVICES_FILE, body);
    const f = decodes(() => loadServices(dir), ServiceSpecError);
    if (!f) return;
    check(f.services.length <= MAX_SERVICES, `${f.services.length} services`);
    for (const s of f.services) {
      check(SERVICE_NAME.test(s.name), `name ${s.name}`);
      check(isIP(s.host) > 0, `host ${s.host}`);
      check(Number.isInteger(s.port) && s.port >= 1 && s.port <= 65535, `port ${s.port}`);
      check(
        s.allow === 'all-paired' ||
          (Array.isArray(s.allow) && s.allow.every((a) => typeof a === 'string')),
        'allow',
      );
    }
    check(f.haConfig === undefined || typeof f.haConfig === 'string', 'haConfig');
  },
};
