// A rendezvous and a home on this machine, each on its own loopback address (127.0.0.2 and
// 127.0.0.3), so a client on 127.0.0.4 gets a spray that only ever reaches its own address.
// The loopback bench and the end-to-end tests use it (the demo starts its own, src/cli/demo.ts).
import { LOOPBACK, startLoopbackRendezvous } from '../../src/cli/demo.js';
import { HomeAgent, type HomeOptions } from '../../src/home/agent.js';
import { untilRegistered } from '../../src/home/run.js';
import type { Env, SocketAddr } from '../../src/net/types.js';
import type { RendezvousOptions, RendezvousServer } from '../../src/rendezvous/server.js';

export { LOOPBACK };

export interface LocalStack {
  rv: RendezvousServer;
  rvAddr: SocketAddr;
  home: HomeAgent;
  homeAddr: SocketAddr;
  close(): void;
}

export async function startLocalStack(
  env: Env,
  homeId: string,
  homeOpts: Partial<HomeOptions> = {},
  registerTimeoutMs = 5000,
  rvOpts: Omit<RendezvousOptions, 'listen'> = {},
): Promise<LocalStack> {
  const { rv, rvAddr } = await startLoopbackRendezvous(env, rvOpts);
  let home: HomeAgent | undefined;
  const close = (): void => {
    home?.close();
    rv.close();
  };
  try {
    home = new HomeAgent(env, {
      id: homeId,
      rendezvous: rvAddr,
      listen: { ip: LOOPBACK.home, port: 0 },
      ...homeOpts,
    });
    const agent = home;
    const registered = untilRegistered(env, agent, registerTimeoutMs);
    agent.start();
    await registered;
    return { rv, rvAddr, home: agent, homeAddr: agent.endpoint!.localAddress()!, close };
  } catch (e) {
    close();
    throw e;
  }
}
