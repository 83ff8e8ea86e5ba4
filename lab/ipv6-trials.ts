// Issue 13's dual-stack target, printed: `client connect` to a dual-stack home N times over the
// lab's IPv6 (stateful firewalls, no NAT), the p50 of the reported time next to the direct RTT
// floor over the same path (`client ping` request/reply on the IPv6 path; the machine has no
// ping binary). The reported time includes the candidates query (one round trip to the
// rendezvous) before the knock. The lab has no netem, so its links add no delay: both numbers
// are mostly Node's event loop and the kernel's forwarding.
// Run as root: node dist/lab/ipv6-trials.js [trials=9]
import { buildLab6 } from './ipv6.js';
import { connectV6, startV6Stack } from './ipv6-stack.js';
import { checkLabPrerequisites } from './netns.js';

const trials = Math.min(50, Math.max(1, Number(process.argv[2] ?? 9)));
checkLabPrerequisites();
const lab = buildLab6(
  {
    home: { router: 'port', cgnat: false },
    client: { router: 'port', cgnat: false },
    firewall: true,
    lossPct: 0,
  },
  { home: 'on', client: 'on' },
);

const p50 = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

try {
  const stack = await startV6Stack(lab, 'v6trials', 43101);
  const times: number[] = [];
  const paths: string[] = [];
  let direct = { min: NaN, avg: NaN };
  try {
    for (let i = 0; i < trials; i++) {
      const c = connectV6(lab, stack, 'v6trials');
      paths.push(typeof c.json?.path === 'string' ? c.json.path : (c.error ?? '?'));
      if (c.json?.path === 'ipv6') times.push(Number(c.json.ms));
    }
    // The floor: `client ping` request/reply round trips over the IPv6 path it connects on
    // (the machine has no ping binary; this is the product's own RTT over the same hops).
    const p = connectV6(lab, stack, 'v6trials', false, ['--count', '20', '--interval', '20']);
    if (p.json?.path !== 'ipv6') throw new Error(`ping took ${JSON.stringify(p.json ?? p.error)}`);
    direct = { min: Number(p.json.rttMinMs), avg: Number(p.json.rttAvgMs) };
  } finally {
    await stack.stop();
  }
  const ratio = p50(times) / direct.min;
  console.log(
    `ipv6 dual-stack: path ipv6 ${times.length}/${trials} (${[...new Set(paths)].join(', ')}); ` +
      `connect p50 ${p50(times)} ms (min ${Math.min(...times)}, max ${Math.max(...times)}); ` +
      `direct RTT floor (client ping over the IPv6 path) min ${direct.min} ms, avg ${direct.avg} ms; ` +
      `p50 / floor = ${ratio.toFixed(1)} ` +
      `(target ≤ 1.5: ${ratio <= 1.5 ? 'met' : 'not met'})`,
  );
} finally {
  lab.teardown();
}
