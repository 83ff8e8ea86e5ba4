// `porthole demo`: the whole method on this machine, nothing to configure. A rendezvous, a home
// and a client run in one process over real UDP sockets, each on its own loopback address
// (127.0.0.2/.3/.4) so the home's 500-port spray only ever reaches the client's address.
import { connectAsync } from '../client/connector.js';
import { DeviceClient } from '../devices/rpc-client.js';
import { runHome, untilRegistered, type RunningHome } from '../home/run.js';
import { whenBound } from '../net/node-udp.js';
import { realEnv } from '../net/real-env.js';
import type { Env, SocketAddr } from '../net/types.js';
import { RendezvousServer, type RendezvousOptions } from '../rendezvous/server.js';
import { formatAddr } from '../wire/addr.js';
import { makeLogger } from './logger.js';
import type { LogLevel } from './parse.js';

const out = (line: string): void => void process.stdout.write(line + '\n');

/** One loopback address per role: the home's spray only ever reaches the client's address. */
export const LOOPBACK = {
  rendezvous: '127.0.0.2',
  home: '127.0.0.3',
  client: '127.0.0.4',
} as const;

/** A rendezvous on LOOPBACK.rendezvous, any port; resolves once bound. (Tests pass `opts`.) */
export async function startLoopbackRendezvous(
  env: Env,
  opts: Omit<RendezvousOptions, 'listen'> = {},
): Promise<{ rv: RendezvousServer; rvAddr: SocketAddr }> {
  const rv = new RendezvousServer(env, { ...opts, listen: { ip: LOOPBACK.rendezvous, port: 0 } });
  rv.start();
  try {
    return { rv, rvAddr: await whenBound(rv.endpoint!) };
  } catch (e) {
    rv.close();
    throw e;
  }
}

/** The demo's rendezvous and home (simulated devices), the home registered. */
async function startDemoStack(
  env: Env,
): Promise<{ rvAddr: SocketAddr; home: RunningHome; close(): void }> {
  const { rv, rvAddr } = await startLoopbackRendezvous(env);
  let home: RunningHome | undefined;
  const close = (): void => {
    home?.close();
    rv.close();
  };
  try {
    home = await runHome(env, {
      id: 'demo-home',
      rendezvous: rvAddr,
      listen: { ip: LOOPBACK.home, port: 0 },
      localIps: [],
      devices: 'simulated',
    });
    await untilRegistered(env, home.agent);
    return { rvAddr, home, close };
  } catch (e) {
    close();
    throw e;
  }
}

export async function runDemo(logLevel: LogLevel): Promise<number> {
  const env = realEnv(makeLogger(logLevel, 'demo'));
  const stack = await startDemoStack(env);
  try {
    out(`rendezvous  listening on ${formatAddr(stack.rvAddr)}`);
    out(`home        "demo-home" registered from ${formatAddr(stack.home.bound)}`);
    out('client      connecting through the rendezvous');
    const r = await connectAsync(env, {
      home: 'demo-home',
      rendezvous: stack.rvAddr,
      bindIp: LOOPBACK.client,
      forceAssist: true,
      onStep: (e) =>
        out(
          `  step ${e.step} ${e.name.padEnd(6)} +${e.atMs.toFixed(1).padStart(7)} ms  ${e.detail}`,
        ),
    });
    if (!r.ok) {
      out(`demo failed: ${r.error}`);
      return 1;
    }
    const s = r.report;
    out(
      `connected   ${s.path} to ${s.home} in ${s.ms} ms: ` +
        `${s.packetsSent} packets from ${s.socketsOpened} sockets`,
    );
    out(
      `            per step (ms): ${Object.entries(s.steps)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    const rtts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const rtt = await new Promise<number | undefined>((res) => r.connection.ping(1000, res));
      if (rtt !== undefined) rtts.push(rtt);
    }
    const avg = rtts.reduce((a, b) => a + b, 0) / Math.max(1, rtts.length);
    out(
      `ping        ${rtts.length}/5 round trips over the punched path, avg rtt ${avg.toFixed(3)} ms`,
    );
    const devices = new DeviceClient(r.connection, env.clock, env.rng);
    const before = await devices.get('light.kitchen');
    const after = await devices.call('light.kitchen', { service: 'toggle' });
    out(`device      light.kitchen: ${before.state} → ${after.state} (toggled through the tunnel)`);
    r.connection.close();
    return rtts.length > 0 && after.state !== before.state ? 0 : 1;
  } finally {
    stack.close();
  }
}
