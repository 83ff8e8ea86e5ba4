// A virtual world for discovery tests: a STUN server on one or two public IPs (two ports each)
// and a host behind one of the NAT presets.
import type { Env, SocketAddr } from '../../src/net/types.js';
import { silentLogger } from '../../src/net/types.js';
import { PRESETS, type PresetName } from '../../src/net/virtual/presets.js';
import { VirtualWorld } from '../../src/net/virtual/world.js';
import type { NatBehaviour } from '../../src/net/virtual/nat.js';
import type { VirtualHost } from '../../src/net/virtual/host.js';
import { StunServer } from '../../src/discovery/stun-server.js';

export const S1 = '198.51.100.1';
export const S2 = '198.51.100.2';
export const PRIMARY_ADDR: SocketAddr = { ip: S1, port: 3478 };

export function stunWorld(
  preset: PresetName,
  opts: { altIp: boolean; seed?: number; layers?: readonly Partial<NatBehaviour>[] },
) {
  const w = new VirtualWorld(opts.seed ?? 1);
  const core = { delayMs: 5, hops: 0, onCore: true };
  const serverHost = (ip: string): VirtualHost =>
    w.site([], { publicIp: ip, hostIp: ip, innerIps: [] }, core).host;
  const hosts = opts.altIp ? [serverHost(S1), serverHost(S2)] : [serverHost(S1)];
  const envOf = (net: VirtualHost): Env => ({ net, clock: w.clock, rng: w.rng, log: silentLogger });
  const server = new StunServer(envOf(hosts[0]!), {
    ips: opts.altIp ? [S1, S2] : [S1],
    ports: [3478, 3479],
  });
  // The two IPs live on two virtual hosts, so every endpoint is bound here and adopted.
  for (const at of server.responder.endpoints()) {
    const addr = server.responder.endpoint(at)!;
    const ep = hosts[at.ip]!.open({ port: addr.port });
    ep.onDatagram((d, from) => server.handleDatagram(d, from, at));
    server.adopt(at, ep);
  }
  const site = w.site(
    opts.layers ?? PRESETS[preset],
    { publicIp: '203.0.113.10', hostIp: '192.168.1.10', innerIps: ['100.64.0.10'] },
    { delayMs: 10, hops: 1 },
  );
  const env = envOf(site.host);
  /** Starts a callback-style machine and runs virtual time until it reports. */
  function run<T>(start: (done: (r: T) => void) => void, limitMs = 10_000): T {
    let result: T | undefined;
    let got = false;
    start((r) => {
      result = r;
      got = true;
    });
    w.clock.run(w.clock.now() + limitMs, () => got);
    if (!got) throw new Error(`no result within ${limitMs} virtual ms`);
    return result as T;
  }
  return { w, server, site, env, run };
}
