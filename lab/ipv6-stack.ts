// The real roles on an IPv6 lab (issue 13): a rendezvous on both families (--listen twice), a home
// with its IPv6 candidate (or none), and `client connect --json` from the client namespace — as a
// dual-stack client (rendezvous over IPv4, IPv6 raced) or a v6-only one (rendezvous over IPv6,
// the host's IPv4 removed). Used by test/lab/candidates-ipv6.test.ts and lab/ipv6-trials.ts.
import { inNs } from './netns.js';
import type { Lab6 } from './ipv6.js';
import { connectIn, killRoles, Role } from './roles.js';

export const RV_PORT = 7400;

export interface V6Stack {
  rvAddr: string;
  rv6Addr: string;
  home: Role;
  /** Stops the home (SIGTERM) and returns its last stats line, then everything else. */
  stopHome(): Promise<{ sprays?: number; knocks?: number }>;
  stop(): Promise<void>;
}

/** Starts the rendezvous and the home (`homeId`, UDP `port`); throws when either does not come up. */
export async function startV6Stack(lab: Lab6, homeId: string, port: number): Promise<V6Stack> {
  const rvAddr = `${lab.rendezvousIp}:${RV_PORT}`;
  const rv6Addr = `[${lab.v6.rendezvousIp6}]:${RV_PORT}`;
  const roles: Role[] = [];
  const stop = async (): Promise<void> => {
    for (const r of roles) await r.stop();
    killRoles();
  };
  try {
    const rv = Role.start(lab.ns.rendezvous, [
      'rendezvous',
      '--listen',
      rvAddr,
      '--listen',
      rv6Addr,
    ]);
    roles.push(rv);
    if (!(await rv.waitFor((x) => x.msg === 'rendezvous listening', 10_000)))
      throw new Error('rendezvous did not start');
    const home6 = lab.v6.homeIp6 ?? 'off';
    const home = Role.start(lab.ns.home, [
      'home',
      '--id',
      homeId,
      '--rendezvous',
      rvAddr,
      '--listen',
      `${lab.homeIp}:${port}`,
      '--portmap',
      'off',
      '--ipv6',
      home6,
    ]);
    roles.push(home);
    const ready = home6 === 'off' ? 'registered with rendezvous' : 'IPv6 candidate socket open';
    if (!(await home.waitFor((x) => x.msg === ready, 10_000)))
      throw new Error('the home did not come up');
    await new Promise((r) => setTimeout(r, 300));
    const stopHome = async (): Promise<{ sprays?: number; knocks?: number }> => {
      await home.stop();
      const stats = home.lines.find((x) => x.msg === 'home agent stopping')?.stats as
        { sprays: number; candidates: { knocks: number } } | undefined;
      return { sprays: stats?.sprays, knocks: stats?.candidates.knocks };
    };
    return { rvAddr, rv6Addr, home, stopHome, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** One `client connect --json` to `homeId` (or `ping`, `extra` args); v6-only: over the rendezvous' IPv6. */
export function connectV6(lab: Lab6, s: V6Stack, homeId: string, v6only = false, ping?: string[]) {
  const via = v6only
    ? ['--rendezvous', s.rv6Addr]
    : ['--rendezvous', s.rvAddr, '--bind', lab.clientIp];
  const args = ['--home', homeId, ...via, '--ipv6', lab.v6.clientIp6 ?? 'off', ...(ping ?? [])];
  return connectIn(lab.ns.client, args, ping ? 'ping' : 'connect');
}

/** Takes the client host's IPv4 away (addresses and routes): only IPv6 is left to it. */
export function makeClientV6Only(lab: Lab6): void {
  inNs(lab.ns.client, 'ip', ['-4', 'route', 'flush', 'table', 'main']);
  inNs(lab.ns.client, 'ip', ['-4', 'addr', 'flush', 'dev', 'eth0']);
}
