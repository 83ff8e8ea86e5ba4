// `porthole home status` (issue 13): the running home writes `status.json` (atomic, 0600) in its
// state dir on every change its stats show (registration, NAT class, port mapping, IPv6), and
// once more, marked stopped, on exit; `home status` reads it back. A file, not a socket: nothing
// listens, and a crashed home is told apart by its pid being gone.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { natLabel } from '../discovery/nat-class.js';
import { writeJson } from '../secure/json-file.js';
import { formatAddr } from '../wire/addr.js';
import type { DeviceSource, SourceHealth } from '../devices/model.js';
import type { HomeAgent } from './agent.js';

export const STATUS_FILE = 'status.json';

export interface HomeStatus {
  id: string;
  secure: boolean;
  pid: number;
  startedAt: string;
  updatedAt: string;
  /** Set once the home stopped cleanly. */
  stoppedAt?: string;
  registration: {
    registered: boolean;
    rendezvous: string;
    observed?: string;
    nat: string;
  };
  portmap: {
    state: string;
    protocol?: string;
    external?: string;
    lifetimeS?: number;
    /** Wall time the current lease ends (from the last grant or renewal). */
    leaseEndsAt?: string;
    /** `mapped` is verified through the rendezvous; otherwise why nothing is advertised. */
    reason?: string;
  };
  ipv6: string[];
  /** What clients are given (a secure home: only clients it accepts). */
  advertised: string[];
  /**
   * Where the rendezvous serves the phone app (its serverInfo; "" = none): `home pair` prints
   * it. Always written; absent only in a file from an older home.
   */
  appUrl?: string;
  /** The phone's direct path (issue 18): 'ready', 'off', 'loading' or 'unavailable: why'. */
  webrtc?: string;
  /** A device source that can lose its upstream (Home Assistant): whether its states are live,
   *  and why not (bad or revoked token, HA down, HA unreachable). */
  devices?: SourceHealth;
}

/** The agent's state as `status.json` holds it. */
export function snapshot(
  agent: HomeAgent,
  meta: { secure: boolean; pid: number; startedAt: string },
  wallNow: number,
  leaseEndsAt?: string,
): HomeStatus {
  const st = agent.stats;
  const pm = st.candidates.portmap;
  return {
    id: agent.id,
    ...meta,
    updatedAt: new Date(wallNow).toISOString(),
    registration: {
      registered: st.registered,
      rendezvous: formatAddr(agent.rendezvous),
      ...(st.observed ? { observed: st.observed } : {}),
      nat: natLabel(agent.natClass),
    },
    portmap: {
      state: pm.state,
      ...(pm.protocol ? { protocol: pm.protocol } : {}),
      ...(pm.external ? { external: formatAddr(pm.external) } : {}),
      ...(pm.lifetimeS !== undefined ? { lifetimeS: pm.lifetimeS } : {}),
      ...(pm.state === 'mapped' && leaseEndsAt ? { leaseEndsAt } : {}),
      ...(pm.reason ? { reason: pm.reason } : {}),
    },
    ipv6: st.candidates.ipv6 ? [st.candidates.ipv6] : [],
    advertised: st.candidates.advertised,
    appUrl: agent.serverInfo?.appUrl ?? '',
    ...(agent.webrtc ? { webrtc: agent.webrtc } : {}),
  };
}

/**
 * Keeps `dir/status.json` current for `agent`: on each change, and marked stopped by `stop()`.
 * Write errors are reported once through `onError` and never stop the home.
 */
export function keepStatusFile(
  dir: string,
  agent: HomeAgent,
  secure: boolean,
  wallNow: () => number,
  onError: (e: Error) => void,
  devices?: DeviceSource,
): { stop(): void } {
  const meta = { secure, pid: process.pid, startedAt: new Date(wallNow()).toISOString() };
  let failed = false;
  // Each grant or renewal is a new status object from the mapper: the lease restarts then.
  let lease: { of: object; endsAt?: string } | undefined;
  const write = (extra: Partial<HomeStatus> = {}): void => {
    try {
      const now = wallNow();
      const pm = agent.stats.candidates.portmap;
      if (lease?.of !== pm) {
        const s = pm.lifetimeS;
        lease = { of: pm, endsAt: s ? new Date(now + s * 1000).toISOString() : undefined };
      }
      const health = devices?.health?.();
      writeJson(dir, STATUS_FILE, {
        ...snapshot(agent, meta, now, lease.endsAt),
        ...(health ? { devices: health } : {}),
        ...extra,
      });
    } catch (e) {
      if (!failed) onError(e as Error);
      failed = true;
    }
  };
  let live = true;
  agent.onChange(() => {
    if (live) write();
  });
  const offHealth = devices?.onHealth?.(() => {
    if (live) write();
  });
  write();
  return {
    stop() {
      live = false;
      offHealth?.();
      write({ stoppedAt: new Date(wallNow()).toISOString() });
    },
  };
}

export type StatusRead =
  { running: true; status: HomeStatus } | { running: false; status?: HomeStatus; message: string };

/** Reads `dir/status.json`; `alive(pid)` tells a crashed home from a running one. */
export function readHomeStatus(dir: string, alive: (pid: number) => boolean): StatusRead {
  const path = join(dir, STATUS_FILE);
  if (!existsSync(path))
    return { running: false, message: `the home is not running (no ${STATUS_FILE} in ${dir})` };
  let status: HomeStatus;
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    const wrong = shapeError(v);
    if (wrong) throw new Error(wrong);
    status = v as HomeStatus;
  } catch (e) {
    return {
      running: false,
      message: `${path} is not a home status file: ${(e as Error).message}`,
    };
  }
  if (status.stoppedAt)
    return {
      running: false,
      status,
      message: `the home is not running (stopped at ${status.stoppedAt})`,
    };
  if (!alive(status.pid))
    return {
      running: false,
      status,
      message: `the home is not running (pid ${status.pid} is gone; last update ${status.updatedAt})`,
    };
  return { running: true, status };
}

/** What is wrong with a parsed status.json (undefined: it has the shape `home status` reads). */
function shapeError(v: unknown): string | undefined {
  const o = (x: unknown): x is Record<string, unknown> =>
    typeof x === 'object' && x !== null && !Array.isArray(x);
  const str = (x: unknown): boolean => typeof x === 'string';
  const optStr = (x: unknown): boolean => x === undefined || typeof x === 'string';
  const strs = (x: unknown): boolean => Array.isArray(x) && x.every(str);
  if (!o(v)) return 'not a JSON object';
  if (!Number.isSafeInteger(v.pid)) return 'no pid';
  if (!str(v.id) || typeof v.secure !== 'boolean' || !str(v.startedAt) || !str(v.updatedAt))
    return 'no id, secure flag or times';
  if (!optStr(v.stoppedAt)) return 'stoppedAt is not a time';
  const r = v.registration;
  if (!o(r) || typeof r.registered !== 'boolean' || !str(r.rendezvous) || !str(r.nat))
    return 'no registration';
  if (!optStr(r.observed)) return 'registration.observed is not an address';
  const p = v.portmap;
  if (!o(p) || !str(p.state)) return 'no portmap state';
  if (![p.protocol, p.external, p.leaseEndsAt, p.reason].every(optStr))
    return 'a portmap field is not text';
  if (p.lifetimeS !== undefined && typeof p.lifetimeS !== 'number') return 'portmap.lifetimeS';
  if (!strs(v.ipv6) || !strs(v.advertised)) return 'no ipv6 or advertised list';
  if (!optStr(v.appUrl)) return 'appUrl is not text';
  const d = v.devices;
  if (
    d !== undefined &&
    (!o(d) || typeof d.live !== 'boolean' || !str(d.since) || !optStr(d.error))
  )
    return 'devices is not a source health';
  return undefined;
}
