// Simulated trials per second: `npm run bench:sim [TRIALS]`. Side by side in one run:
// - the bare virtual network (the baseline: one host sprays 501 packets through a port-restricted
//   NAT, the other opens 500 sockets behind a symmetric NAT and sends one packet from each),
// - the real roles on it: a cone pair (ends at the first probe) and the birthday pair.
import { countArg } from './cli-args.js';
import { PRESETS } from '../src/net/virtual/presets.js';
import { VirtualWorld } from '../src/net/virtual/world.js';
import { PATENT_PAIR_OPTIONS, runPair } from '../src/sim/matrix.js';

const trials = countArg(
  0,
  500,
  'usage: npm run bench:sim [-- TRIALS]   (default 500: simulated trials per row)',
);

/** The network's share of a birthday trial, without any protocol: returns datagrams delivered. */
function bareNetworkTrial(seed: number): number {
  const w = new VirtualWorld(seed);
  const home = w.site(
    PRESETS.port,
    { publicIp: '203.0.113.10', hostIp: '192.168.1.10', innerIps: [] },
    { delayMs: 10, hops: 1 },
  ).host;
  const client = w.site(
    PRESETS.symmetric,
    { publicIp: '192.0.2.20', hostIp: '10.0.0.20', innerIps: [] },
    { delayMs: 10, hops: 1 },
  ).host;
  let delivered = 0;
  const data = new Uint8Array(48);
  const listen = home.open({ port: 7401 });
  listen.onDatagram(() => delivered++);
  for (let i = 0; i < 501; i++)
    listen.send(data, { ip: '192.0.2.20', port: 1024 + w.rng.int(64_512) });
  w.clock.run(50);
  for (let i = 0; i < 500; i++) {
    const ep = client.open();
    ep.onDatagram(() => delivered++);
    ep.send(data, { ip: '203.0.113.10', port: 7401 });
  }
  w.clock.run();
  return delivered;
}

function line(label: string, n: number, secs: number, extra: string): void {
  console.log(
    `${label.padEnd(28)} ${n} trials in ${secs.toFixed(2)} s = ` +
      `${(n / secs).toFixed(0).padStart(6)} trials/s, ${((secs * 1000) / n).toFixed(2)} ms each  ${extra}`,
  );
}

for (let i = 0; i < 50; i++) bareNetworkTrial(i); // warm up the JIT like the others get to
let t0 = performance.now();
let delivered = 0;
for (let i = 0; i < trials; i++) delivered += bareNetworkTrial(i);
line(
  'bare network (baseline)',
  trials,
  (performance.now() - t0) / 1000,
  `(1,001 datagrams sent, ${(delivered / trials).toFixed(0)} delivered per trial)`,
);

for (const [home, client] of [
  ['port', 'port'],
  ['port', 'symmetric'],
] as const) {
  t0 = performance.now();
  const s = runPair(home, client, { ...PATENT_PAIR_OPTIONS, trials });
  line(
    `roles: ${home} × ${client}`,
    trials,
    (performance.now() - t0) / 1000,
    `(success ${(s.success * 100).toFixed(1)}%, ${s.packets} packets and ${s.sockets} sockets per connect)`,
  );
}
