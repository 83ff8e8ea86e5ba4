// The home's status.json as `porthole home status` reads it (src/home/status-file.ts): any file
// content gives "running" with a status of the documented shape, or "not running" with a
// message — what the command then prints must not meet a missing field.
import { readHomeStatus, type HomeStatus } from '../../../src/home/status-file.js';
import { put } from '../files.js';
import { check, decodes, type FuzzTarget } from '../target.js';

const str = (v: unknown): boolean => typeof v === 'string';
const opt = (v: unknown): boolean => v === undefined || typeof v === 'string';
const strings = (v: unknown): boolean => Array.isArray(v) && v.every(str);

/** The fields `home status` (src/cli/home-status-cmd.ts) reads, with their types. */
function wellFormed(s: HomeStatus): boolean {
  const r = s.registration as Partial<HomeStatus['registration']> | undefined;
  const p = s.portmap as Partial<HomeStatus['portmap']> | undefined;
  return (
    str(s.id) &&
    typeof s.secure === 'boolean' &&
    Number.isInteger(s.pid) &&
    str(s.startedAt) &&
    str(s.updatedAt) &&
    opt(s.stoppedAt) &&
    typeof r === 'object' &&
    r !== null &&
    typeof r.registered === 'boolean' &&
    str(r.rendezvous) &&
    opt(r.observed) &&
    str(r.nat) &&
    typeof p === 'object' &&
    p !== null &&
    str(p.state) &&
    opt(p.protocol) &&
    opt(p.external) &&
    opt(p.leaseEndsAt) &&
    opt(p.reason) &&
    (p.lifetimeS === undefined || typeof p.lifetimeS === 'number') &&
    strings(s.ipv6) &&
    strings(s.advertised)
  );
}

export const target: FuzzTarget = {
  name: 'status-file',
  about: 'src/home/status-file.ts readHomeStatus (status.json, read by `home status`)',
  sources: ['src/home/status-file.ts'],
  maxLen: 4096,
  seeds: () => [
    Buffer.from(
      JSON.stringify({
        id: 'ph-abc',
        secure: true,
        pid: 4242,
        startedAt: '2026-12-03T10:00:00.000Z',
        updatedAt: '2026-12-03T10:05:00.000Z',
        registration: {
          registered: true,
          rendezvous: '198.51.100.1:7000',
          observed: '203.0.113.10:7401',
          nat: 'port-restricted',
        },
        portmap: {
          state: 'mapped',
          protocol: 'pcp',
          external: '203.0.113.10:7401',
          lifetimeS: 7200,
          leaseEndsAt: '2026-12-03T12:00:00.000Z',
        },
        ipv6: ['[2001:db8::5]:7401'],
        advertised: ['203.0.113.10:7401'],
      }),
    ),
  ],
  fuzz(data) {
    const dir = put('status.json', data);
    const r = decodes(() => readHomeStatus(dir, (pid) => pid % 2 === 0));
    check(r, 'no answer');
    if (r.status)
      check(wellFormed(r.status), 'a status.json of the wrong shape was taken as status');
    if (!r.running) check(typeof r.message === 'string', 'not running, without a message');
  },
};
