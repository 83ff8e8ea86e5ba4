// A rendezvous and a home on this machine, each on its own loopback address (127.0.0.2 and
// 127.0.0.3), so a client on 127.0.0.4 gets a spray that only ever reaches its own address.
// Used by the demo, the loopback bench and the end-to-end tests.
import { HomeAgent, type HomeOptions } from '../home/agent.js';
import { whenBound } from '../net/node-udp.js';
import type { Env, SocketAddr } from '../net/types.js';
import { RendezvousServer } from '../rendezvous/server.js';

export const LOOPBACK = {
  rendezvous: '127.0.0.2',
  home: '127.0.0.3',
  client: '127.0.0.4',
} as const;

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
): Promise<LocalStack> {
  const rv = new RendezvousServer(env, { listen: { ip: LOOPBACK.rendezvous, port: 0 } });
  rv.start();
  let home: HomeAgent | undefined;
  const close = (): void => {
    home?.close();
    rv.close();
  };
  try {
    const rvAddr = await whenBound(rv.endpoint!);
    home = new HomeAgent(env, {
      id: homeId,
      rendezvous: rvAddr,
      listen: { ip: LOOPBACK.home, port: 0 },
      ...homeOpts,
    });
    const agent = home;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`home did not register within ${registerTimeoutMs} ms`)),
        registerTimeoutMs,
      );
      agent.onRegistered(() => {
        clearTimeout(timer);
        resolve();
      });
      agent.start();
    });
    return { rv, rvAddr, home: agent, homeAddr: agent.endpoint!.localAddress()!, close };
  } catch (e) {
    close();
    throw e;
  }
}
