// `porthole home status --state DIR [--json]`: what the running home wrote to its status.json
// (registration, port mapping with the lease left, IPv6, advertised candidates). Exit 0 while the
// home runs, 3 when it does not (with the last known state, if any).
import type { Command } from 'commander';
import { readHomeStatus, type HomeStatus } from '../home/status-file.js';

/** Exit code of `home status` when the home is not running (systemd's "program is not running"). */
export const NOT_RUNNING_EXIT = 3;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, someone else's
  }
};

/** Seconds until `iso`, never negative; undefined without a time. */
function secondsLeft(iso: string | undefined, now: number): number | undefined {
  if (!iso) return undefined;
  return Math.max(0, Math.round((Date.parse(iso) - now) / 1000));
}

function portmapLine(p: HomeStatus['portmap'], leaseLeftS: number | undefined): string {
  const via = p.protocol ? ` via ${p.protocol}` : '';
  if (p.state === 'mapped')
    return `mapped${via}, external ${p.external}, lease ${leaseLeftS ?? '?'} s left, verified (advertised)`;
  if (p.state === 'off') return 'off (--portmap off)';
  return `${p.state}${via}${p.reason ? `: ${p.reason}` : ''} (not advertised)`;
}

function human(s: HomeStatus, leaseLeftS: number | undefined): string {
  const r = s.registration;
  return [
    `home ${s.id} (${s.secure ? 'secure' : 'open'}), pid ${s.pid}, up since ${s.startedAt}`,
    `registration: ${r.registered ? `registered with ${r.rendezvous}, observed ${r.observed}` : `not registered (rendezvous ${r.rendezvous})`}, NAT ${r.nat}`,
    `port mapping: ${portmapLine(s.portmap, leaseLeftS)}`,
    `IPv6: ${s.ipv6.length ? s.ipv6.join(', ') : 'none'}`,
    `candidates${s.secure ? ' (to accepted clients only)' : ''}: ${s.advertised.length ? s.advertised.join(', ') : 'none'}`,
    ...(s.devices
      ? [
          `devices: ${s.devices.live ? 'live' : `NOT LIVE: ${s.devices.error ?? 'unknown'}`} (since ${s.devices.since})`,
        ]
      : []),
    ...(s.webrtc ? [`webrtc (phones' direct path): ${s.webrtc}`] : []),
    `updated ${s.updatedAt}`,
  ].join('\n');
}

export function registerHomeStatus(home: Command): void {
  home
    .command('status')
    .description("show the running home's registration, port mapping, IPv6 and candidates")
    .requiredOption('--state <DIR>', 'the state dir the home runs with (`porthole home --state`)')
    .option('--json', 'machine-readable output')
    .action((o: { state: string; json?: boolean }) => {
      const read = readHomeStatus(o.state, alive);
      const now = Date.now();
      const leaseLeftS = secondsLeft(read.status?.portmap.leaseEndsAt, now);
      if (o.json) {
        const out = {
          running: read.running,
          ...(read.running ? {} : { message: read.message }),
          ...(read.status
            ? { ...read.status, portmap: { ...read.status.portmap, leaseLeftS } }
            : {}),
        };
        process.stdout.write(JSON.stringify(out) + '\n');
      } else if (read.running) {
        process.stdout.write(human(read.status, leaseLeftS) + '\n');
      } else {
        process.stderr.write(read.message + '\n');
        if (read.status) process.stderr.write(`last known:\n${human(read.status, undefined)}\n`);
      }
      process.exit(read.running ? 0 : NOT_RUNNING_EXIT);
    });
}
