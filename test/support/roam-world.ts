// A paired home and client on the virtual network, with the REAL roles and the encrypted channel:
// the rendezvous on the core, the home and the client behind NAT boxes the test can reboot. The
// home serves the simulated house over device RPC; the client can watch it.
import { connect, type ConnectConfig, type ConnectResult } from '../../src/client/connector.js';
import { DeviceClient } from '../../src/devices/rpc-client.js';
import { RequestMemory } from '../../src/devices/request-memory.js';
import { serveDevices } from '../../src/devices/rpc-server.js';
import { SimulatedHouse } from '../../src/devices/simulated.js';
import { HomeAgent } from '../../src/home/agent.js';
import { servePeerChannels } from '../../src/home/peer-channels.js';
import type { SecureChannel } from '../../src/secure/noise-channel.js';
import { openSecureChannel } from '../../src/secure/client-trust.js';
import { generateIdentity, type Identity } from '../../src/secure/keys.js';
import { secureServer } from '../../src/secure/noise-channel.js';
import { silentLogger, type Env, type UdpNet } from '../../src/net/types.js';
import type { NatBehaviour } from '../../src/net/virtual/nat.js';
import { VirtualWorld, type Site } from '../../src/net/virtual/world.js';
import { RendezvousServer } from '../../src/rendezvous/server.js';

export const RV = { ip: '198.51.100.1', port: 7400 };
export const HOME_ID = 'roam-home';

export interface RoamWorld {
  world: VirtualWorld;
  rv: RendezvousServer;
  home: HomeAgent;
  homeSite: Site;
  clientSite: Site;
  house: SimulatedHouse;
  homeKeys: Identity;
  clientKeys: Identity;
  clientEnv: Env;
  /** The device service on each client channel the home opened, in order. */
  servers: ReadonlyArray<ReturnType<typeof serveDevices>>;
  /** Runs virtual time for `ms`, letting promise callbacks run between 10 ms steps. */
  run(ms: number): Promise<void>;
  /** Runs virtual time until `p` settles (bounded). */
  settle<T>(p: Promise<T>, ms?: number): Promise<T>;
  connect(cfg?: Partial<ConnectConfig>): Promise<ConnectResult>;
  close(): void;
}

export function roamWorld(
  homeNat: readonly Partial<NatBehaviour>[],
  clientNat: readonly Partial<NatBehaviour>[],
  seed = 7,
): RoamWorld {
  const world = new VirtualWorld(seed, { loss: 0, jitterMs: 0 });
  const rvHost = world.site(
    [],
    { publicIp: RV.ip, hostIp: RV.ip, innerIps: [] },
    {
      delayMs: 0,
      hops: 0,
      onCore: true,
    },
  ).host;
  const homeSite = world.site(
    homeNat,
    { publicIp: '203.0.113.10', hostIp: '192.168.1.10', innerIps: ['100.64.0.10'] },
    { delayMs: 10, hops: 1 },
  );
  const clientSite = world.site(
    clientNat,
    { publicIp: '192.0.2.20', hostIp: '10.0.0.20', innerIps: ['100.64.1.20'] },
    { delayMs: 10, hops: 1 },
  );
  const env = (net: UdpNet): Env => ({
    net,
    clock: world.clock,
    rng: world.rng,
    log: silentLogger,
  });
  const rv = new RendezvousServer(env(rvHost), { listen: { port: RV.port } });
  rv.start();
  const home = new HomeAgent(env(homeSite.host), {
    id: HOME_ID,
    rendezvous: RV,
    listen: { port: 7401 },
  });
  home.start();
  const homeKeys = generateIdentity();
  const clientKeys = generateIdentity();
  const house = new SimulatedHouse(world.clock, () => world.clock.wallNow());
  const servers: Array<ReturnType<typeof serveDevices>> = [];
  /** The home's request memory across channels (issue 21), as `runHome` keeps it. */
  const memory = new RequestMemory();
  servePeerChannels(home, (plain) => {
    const sec = secureServer(plain, {
      staticKeys: { publicKey: homeKeys.dhPublic, secretKey: homeKeys.dhSecret },
      authorize: (rs) =>
        Buffer.from(rs).equals(Buffer.from(clientKeys.dhPublic))
          ? { ok: true }
          : { ok: false, reason: 'not paired' },
    });
    sec.onReady(() =>
      servers.push(
        serveDevices(sec, house, world.clock, {
          memory,
          client: Buffer.from(sec.remoteStatic!).toString('base64url'),
        }),
      ),
    );
  });
  world.clock.run(3000); // registration and hop measurement

  const run = async (ms: number): Promise<void> => {
    const end = world.clock.now() + ms;
    while (world.clock.now() < end) {
      world.clock.run(Math.min(end, world.clock.now() + 10));
      await new Promise((r) => setImmediate(r));
    }
  };
  const settle = async <T>(p: Promise<T>, ms = 60_000): Promise<T> => {
    let done = false;
    const out = p.finally(() => (done = true));
    out.catch(() => {});
    const end = world.clock.now() + ms;
    while (!done && world.clock.now() < end) await run(10);
    return out;
  };
  const clientEnv = env(clientSite.host);
  return {
    world,
    rv,
    home,
    homeSite,
    clientSite,
    house,
    homeKeys,
    clientKeys,
    clientEnv,
    servers,
    run,
    settle,
    connect: (cfg = {}) =>
      settle(
        new Promise<ConnectResult>((resolve) =>
          connect(clientEnv, { home: HOME_ID, rendezvous: RV, keepaliveMs: 0, ...cfg }, resolve),
        ),
      ),
    close() {
      for (const s of servers) s.close();
      house.close();
      home.close();
      rv.close();
    },
  };
}

/** The Noise channel and a device client on top of a connect result. */
export async function secureDevices(
  w: RoamWorld,
  r: ConnectResult,
  keepaliveMs: number,
): Promise<{ sec: SecureChannel; devices: DeviceClient }> {
  if (!r.ok) throw new Error(`connect failed: ${r.error}`);
  const sec = await w.settle(
    openSecureChannel(r.connection, w.clientKeys, w.homeKeys.dhPublic, w.world.clock),
  );
  const devices = new DeviceClient(sec, w.world.clock, w.world.rng, { keepaliveMs });
  return { sec, devices };
}
