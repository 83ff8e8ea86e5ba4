// Link shaping for the forward bench (issue 19): the home's ISP router becomes the home's WAN
// link — a token bucket (tc tbf) at RATE each way, a userspace delay line (lab/delay-line.py, a
// TUN device: this kernel has no netem) for the RTT, and random loss by an nftables rule. Every
// packet to or from the home crosses it exactly once per direction, whether it goes straight to
// the client or through the rendezvous's relay, so all paths see the same link.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inNs, nft } from './netns.js';

const DELAY_PY = [
  new URL('./delay-line.py', import.meta.url),
  new URL('../../lab/delay-line.py', import.meta.url),
]
  .map((u) => fileURLToPath(u))
  .find((p) => existsSync(p)) as string;

export interface Shaper {
  /** Replaces the loss rule: N% of the packets crossing the link (each direction) are dropped. */
  setLoss(pct: number): void;
  /** The delay line's process id (for its CPU time). */
  delayPid: number;
  close(): void;
}

const DEV = 'dly0';

/**
 * Shapes namespace `isp` (interfaces `core` and `cust`): tbf at `mbit` on both, `oneWayMs` of delay
 * each way (RTT = 2 × oneWayMs), no loss until setLoss.
 */
export async function shapeLink(isp: string, mbit: number, oneWayMs: number): Promise<Shaper> {
  // Queue: about one bandwidth-delay product (a router's buffer, not a bloated one).
  const bdpBytes = Math.max(64_000, Math.round(((mbit * 1e6) / 8) * ((2 * oneWayMs) / 1000)));
  for (const dev of ['core', 'cust']) {
    inNs(
      isp,
      'tc',
      ['qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', `${mbit}mbit`].concat([
        'burst',
        '32kb',
        'limit',
        String(bdpBytes),
      ]),
    );
  }
  const proc: ChildProcess = spawn(
    'ip',
    // Raised priority: on a loaded machine the link should not get slower than it is set.
    ['netns', 'exec', isp, 'nice', '-n', '-10', 'python3', '-u', DELAY_PY, DEV, String(oneWayMs)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('delay line did not start in 10 s')), 10_000);
    proc.stdout?.once('data', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`delay line exited with ${code}`));
    });
  });
  inNs(isp, 'ip', ['link', 'set', DEV, 'up', 'txqueuelen', '10000']);
  for (const k of ['all', 'default', 'core', 'cust', DEV])
    inNs(isp, 'sysctl', ['-qw', `net.ipv4.conf.${k}.rp_filter=0`]);
  inNs(isp, 'ip', ['route', 'add', 'default', 'dev', DEV, 'table', '100']);
  // Packets coming in from either side go to the delay line; what it writes back (iif dly0)
  // takes the main table to its destination.
  for (const dev of ['core', 'cust'])
    inNs(isp, 'ip', ['rule', 'add', 'iif', dev, 'lookup', '100', 'priority', '100']);
  let lossOn = false;
  return {
    delayPid: proc.pid as number,
    setLoss(pct: number): void {
      if (lossOn) inNs(isp, 'nft', ['delete', 'table', 'inet', 'fwloss']);
      lossOn = false;
      if (pct <= 0) return;
      // Counted once per packet: only on its way out of the delay line.
      nft(
        isp,
        `table inet fwloss { chain f { type filter hook forward priority -50; iifname "${DEV}" numgen random mod 100 < ${pct} drop; }; }`,
      );
      lossOn = true;
    },
    close(): void {
      proc.kill('SIGKILL');
    },
  };
}

/** utime + stime (and those of reaped children) of `pid` and its live descendants, in ms. */
export function cpuMsOfTree(pid: number): number {
  const ticks = 100; // USER_HZ on Linux
  const stat = (p: number): { ppid: number; cpu: number } | null => {
    try {
      const s = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      // after ')': state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
      return {
        ppid: Number(f[1]),
        cpu: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]),
      };
    } catch {
      return null;
    }
  };
  const all = new Map<number, { ppid: number; cpu: number }>();
  for (const d of readdirPids()) {
    const s = stat(d);
    if (s) all.set(d, s);
  }
  let total = 0;
  const walk = (p: number): void => {
    const s = all.get(p);
    if (!s) return;
    total += s.cpu;
    for (const [c, cs] of all) if (cs.ppid === p) walk(c);
  };
  walk(pid);
  return (total * 1000) / ticks;
}

/** Resident set of `pid` and its live descendants, bytes. */
export function rssOfTree(pid: number): number {
  const kids = new Map<number, number[]>();
  for (const p of readdirPids()) {
    try {
      const s = readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
      kids.set(ppid, [...(kids.get(ppid) ?? []), p]);
    } catch {
      // gone
    }
  }
  let total = 0;
  const walk = (p: number): void => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      total += Number(m?.[1] ?? 0) * 1024;
    } catch {
      return;
    }
    for (const c of kids.get(p) ?? []) walk(c);
  };
  walk(pid);
  return total;
}

function readdirPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}
