// One simulated connect: a fresh virtual world with the rendezvous on the core, the home behind
// its NAT preset, the client behind its own; the REAL roles run on it unchanged.
import { connect, type ConnectReport, type FailureReport } from '../client/connector.js';
import { HomeAgent, type HomeConfig } from '../home/agent.js';
import type { Env } from '../net/types.js';
import { silentLogger } from '../net/types.js';
import { PRESETS, type PresetName } from '../net/virtual/presets.js';
import { VirtualWorld } from '../net/virtual/world.js';
import { RendezvousServer } from '../rendezvous/server.js';
import type { ConnectConfig, ConnectOptions } from '../client/connector.js';
import { NatDiscovery } from '../discovery/discover.js';
import type { NatClass } from '../discovery/nat-class.js';

export interface TrialOptions {
  home: PresetName;
  client: PresetName;
  seed: number;
  /** Client<->home and client<->rendezvous round trip, ms. */
  rttMs: number;
  /** Per-traversal loss, percent. */
  lossPct: number;
  jitterMs: number;
  /** Routers' "drop unsolicited" firewall. */
  firewall: boolean;
  homeConfig?: Partial<HomeConfig>;
  /** The client's config, and (issue 9) a class it knows already, as a cache gives it. */
  clientConfig?: Partial<ConnectConfig> & Pick<ConnectOptions, 'nat' | 'natPublicIp'>;
  /**
   * 'patent' (default): no discovery, the patent round (then reversed). 'auto' (issue 9): the
   * rendezvous answers STUN on two ports, both sides classify, the ladder picks the method.
   */
  strategy?: SimStrategy;
}

/** 'auto-cached': as 'auto', the client's class classified during the warm-up (a cache hit). */
export type SimStrategy = 'patent' | 'auto' | 'auto-cached';

export interface TrialResult {
  ok: boolean;
  report: ConnectReport | FailureReport;
  error?: string;
  /** Virtual ms from the assist request to the result. */
  ms: number;
  /** Datagrams the home sent for this connect (spray, replies, re-sends). */
  homePackets: number;
  events: number;
}

const RV = { ip: '198.51.100.1', port: 7400 };
const HOME_ID = 'sim-home';
/** Time for the home to register and measure its hop distance before the client starts. */
const WARMUP_MS = 3000;
/** With discovery the home classifies (≤ 2.5 s), measures its depth (≤ 0.75 s), re-registers. */
const WARMUP_AUTO_MS = 5000;
const RV_ALT_PORT = 7402;
const DEADLINE_MS = 120_000;

export function runTrial(o: TrialOptions): TrialResult {
  const world = new VirtualWorld(o.seed, { loss: o.lossPct / 100, jitterMs: o.jitterMs });
  const quarter = o.rttMs / 4;
  const rendezvousHost = world.site(
    [],
    { publicIp: RV.ip, hostIp: RV.ip, innerIps: [] },
    { delayMs: 0, hops: 0, onCore: true },
  ).host;
  const homeSite = world.site(
    PRESETS[o.home],
    { publicIp: '203.0.113.10', hostIp: '192.168.1.10', innerIps: ['100.64.0.10'] },
    { delayMs: quarter, hops: 1 },
    o.firewall,
  );
  const clientSite = world.site(
    PRESETS[o.client],
    { publicIp: '192.0.2.20', hostIp: '10.0.0.20', innerIps: ['100.64.1.20'] },
    { delayMs: quarter, hops: 1 },
    o.firewall,
  );
  const env = (net: Env['net']): Env => ({
    net,
    clock: world.clock,
    rng: world.rng,
    log: silentLogger,
  });

  const auto = o.strategy === 'auto' || o.strategy === 'auto-cached';
  const rv = new RendezvousServer(env(rendezvousHost), {
    listen: { port: RV.port },
    ...(auto ? { stun: { ips: [RV.ip], ports: [RV.port, RV_ALT_PORT] } } : {}),
  });
  rv.start();
  const home = new HomeAgent(env(homeSite.host), {
    id: HOME_ID,
    rendezvous: RV,
    listen: { port: 7401 },
    ...(auto ? { discovery: true } : {}),
    ...o.homeConfig,
  });
  home.start();
  let clientNat: NatClass | undefined;
  if (o.strategy === 'auto-cached')
    new NatDiscovery(env(clientSite.host), RV, { depth: false }).start((d) => (clientNat = d.nat));
  world.clock.run(auto ? WARMUP_AUTO_MS : WARMUP_MS);

  const homeBefore = home.stats.packetsSent;
  let result: TrialResult | undefined;
  const started = world.clock.now();
  const attempt = connect(
    env(clientSite.host),
    {
      home: HOME_ID,
      rendezvous: RV,
      keepaliveMs: 0,
      ...(auto ? { discovery: true } : {}),
      ...(clientNat ? { nat: clientNat } : {}),
      ...o.clientConfig,
    },
    (r) => {
      const ms = world.clock.now() - started;
      const homePackets = home.stats.packetsSent - homeBefore;
      result = r.ok
        ? { ok: true, report: r.report, ms, homePackets, events: 0 }
        : { ok: false, report: r.report, error: r.error, ms, homePackets, events: 0 };
      if (r.ok) r.connection.close();
    },
  );
  world.clock.run(started + DEADLINE_MS, () => result !== undefined);
  attempt.cancel();
  home.close();
  rv.close();
  const out = result ?? {
    ok: false,
    report: emptyReport(),
    error: 'deadline',
    ms: DEADLINE_MS,
    homePackets: home.stats.packetsSent - homeBefore,
    events: 0,
  };
  out.events = world.clock.processed;
  return out;
}

function emptyReport(): FailureReport {
  return {
    ms: DEADLINE_MS,
    steps: {},
    attempts: 0,
    packetsSent: 0,
    socketsOpened: 0,
    home: '',
  };
}
