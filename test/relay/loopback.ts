// The relay on real loopback sockets: UDP (home side and UDP clients), TCP and WebSocket fronts
// on ephemeral ports, a paired home with HomeRelay + serveChannel (echo app). Everything is
// closed by `stop()`; tests must call it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveChannel } from '../../src/home/secure-peers.js';
import { whenBound } from '../../src/net/node-udp.js';
import { realEnv } from '../../src/net/real-env.js';
import { silentLogger, type SocketAddr } from '../../src/net/types.js';
import type { Path } from '../../src/net/path.js';
import {
  openRelayPath,
  type RelayOpenResult,
  type RelayTarget,
} from '../../src/relay/client-path.js';
import { HomeRelay } from '../../src/relay/home-relay.js';
import type { RelayLimits } from '../../src/relay/limits.js';
import type { StreamLimits } from '../../src/relay/stream-client.js';
import { startTcpRelay } from '../../src/relay/tcp-server.js';
import { UdpRelay } from '../../src/relay/udp-relay.js';
import { startWsRelay } from '../../src/relay/ws-server.js';
import { clientRelayAuth, openSecureChannel } from '../../src/secure/client-trust.js';
import { HomeTrustStore } from '../../src/secure/home-trust.js';
import { initState } from '../../src/secure/state.js';
import { sameAddr } from '../../src/wire/addr.js';
import { decode, encode } from '../../src/wire/messages.js';
import { pair } from './world.js';

export async function loopbackRelay(
  opts: {
    limits?: Partial<RelayLimits>;
    stream?: Partial<StreamLimits>;
    onHomePath?: (p: Path) => void;
  } = {},
) {
  const env = realEnv(silentLogger);
  const dir = mkdtempSync(join(tmpdir(), 'porthole-relay-lb-'));
  const homeState = initState(join(dir, 'home'), 'home');
  const client = initState(join(dir, 'client'), 'client');
  pair(homeState, client, 'phone');
  const homeEp = env.net.open({ ip: '127.0.0.1' });
  const home = await whenBound(homeEp);
  const udp = new UdpRelay(env, {
    listen: { ip: '127.0.0.1' },
    lookupHome: (id) => (id === homeState.homeId ? home : undefined),
    ...opts.limits,
  });
  const core = udp.start();
  const relay: SocketAddr = await whenBound(udp.endpoint!);
  const tcp = await startTcpRelay(core, { host: '127.0.0.1', port: 0, ...opts.stream });
  const ws = await startWsRelay(core, { host: '127.0.0.1', port: 0, ...opts.stream });

  const trust = new HomeTrustStore(homeState);
  const homeRelay = new HomeRelay({
    send: (m, to) => homeEp.send(encode(m), to),
    isRelay: (from) => sameAddr(from, relay),
    authorize: (offer) => trust.authorizeRelay(offer),
    onPath: (path, peer) => {
      if (opts.onHomePath) return opts.onHomePath(path);
      serveChannel(path, peer, trust, (ch) => ch.onMessage((d) => ch.send(d)));
    },
  });
  homeEp.onDatagram((d, from) => {
    const r = decode(d);
    if (r.ok) homeRelay.handle(r.msg, from);
  });

  const targets = {
    udp: { transport: 'udp', relay } as RelayTarget,
    tcp: { transport: 'tcp', relay: { ip: '127.0.0.1', port: tcp.port } } as RelayTarget,
    ws: { transport: 'ws', url: `ws://127.0.0.1:${ws.port}/porthole` } as RelayTarget,
  };

  const open = (target: RelayTarget): Promise<RelayOpenResult> =>
    new Promise((resolve) =>
      openRelayPath(
        env,
        target,
        { homeId: homeState.homeId, auth: clientRelayAuth(client.identity), keepaliveMs: 0 },
        resolve,
      ),
    );

  /** Opens a relayed path and a Noise channel over it; returns the echo of `text`. */
  const echo = async (target: RelayTarget, text: string) => {
    const r = await open(target);
    if (!r.ok) throw r.error;
    const ch = await openSecureChannel(
      r.path,
      client.identity,
      homeState.identity.dhPublic,
      env.clock,
    );
    const got = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no echo in 3 s')), 3000);
      ch.onMessage((d) => {
        clearTimeout(t);
        resolve(Buffer.from(d).toString());
      });
      ch.send(Buffer.from(text));
    });
    return { got, path: r.path, channel: ch };
  };

  const stop = async (): Promise<void> => {
    homeRelay.close();
    await tcp.close();
    await ws.close();
    udp.close();
    homeEp.close();
  };
  const homeId = homeState.homeId;
  const authFor = (session: string): Uint8Array =>
    clientRelayAuth(client.identity)(homeId, session);
  return { env, core, udp, relay, tcp, ws, targets, open, echo, homeRelay, homeId, authFor, stop };
}
