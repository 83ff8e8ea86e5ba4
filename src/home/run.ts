// A running home: the agent, its trust (from a state dir, or none in open mode), the device
// source and the device service on every client's channel. What `porthole home`, the demo and
// the end-to-end tests start.
import { networkInterfaces } from 'node:os';
import { exposedView, ExposureStore } from '../devices/exposure.js';
import type { DeviceSource } from '../devices/model.js';
import { RequestMemory } from '../devices/request-memory.js';
import { serveDevices } from '../devices/rpc-server.js';
import { openDeviceSource } from '../devices/source.js';
import { PortholeError } from '../errors.js';
import { whenBound } from '../net/node-udp.js';
import type { Env, SocketAddr } from '../net/types.js';
import { HomeTrustStore } from '../secure/home-trust.js';
import type { State } from '../secure/state.js';
import { formatAddr } from '../wire/addr.js';
import { MAX_LOCALS } from '../wire/messages.js';
import { HomeAgent, type HomeOptions } from './agent.js';
import { serveApp } from './secure-peers.js';
import { HomeServices } from './services.js';
import { directPeerOf } from './peer-channels.js';
import { HomeWebRtc, type WebRtcOptions } from './webrtc.js';
import { splitChannel } from '../streams/wire.js';

export type HomeRunErrorKind = 'listen-failed' | 'not-registered';

export interface RunHomeOptions extends Omit<HomeOptions, 'id' | 'trust'> {
  /** Secure mode: the home's state dir, loaded. Its id is the home id. */
  state?: State;
  /** Open mode (no state): any id. */
  id?: string;
  /** A device source, or its spec ("simulated", mqtt://HOST:PORT, ha://HOST:PORT). */
  devices: DeviceSource | string;
  /** For ha:// and has://: the long-lived access token's file. */
  haTokenFile?: string;
  /** Where `home expose` keeps its rules (default: the state dir; none in open mode). */
  exposureDir?: string;
  /** The phone's direct path (WebRTC data channel; docs/phone.md): STUN, port range, or off. */
  webrtc?: WebRtcOptions;
}

export interface RunningHome {
  agent: HomeAgent;
  id: string;
  trust: HomeTrustStore | undefined;
  devices: DeviceSource;
  bound: SocketAddr;
  /**
   * Tells every client with a live secure channel, authenticated, that the home is going (they
   * reconnect at once); returns how many. Call it a moment before close(): the frames need the
   * socket for one more turn of the event loop.
   */
  closeChannels(reason: string): number;
  close(): void;
}

/** Starts the home; resolves once its socket is bound. Rejects with a PortholeError or DeviceError. */
export async function runHome(env: Env, o: RunHomeOptions): Promise<RunningHome> {
  const { state, devices: spec, haTokenFile, exposureDir, webrtc: rtcOpts, ...agentOpts } = o;
  const id = state ? state.homeId : o.id;
  if (id === undefined) throw new TypeError('runHome: give state or id');
  const trust = state ? new HomeTrustStore(state) : undefined;
  const devices =
    typeof spec === 'string'
      ? await openDeviceSource(spec, env.clock, haTokenFile ? { haTokenFile } : {})
      : spec;
  // A source that can lose its upstream (Home Assistant) says so in the log, every time.
  devices.onHealth?.((h) => {
    if (h.live) env.log.info({}, 'device source live: every state resynced');
    else env.log.warn({ error: h.error }, 'device source not live');
  });
  const h0 = devices.health?.();
  if (h0 && !h0.live) env.log.warn({ error: h0.error }, 'device source not live yet');
  // Sources the owner exposes per client (Home Assistant): each client sees its own view.
  const exposure = devices.exposable ? new ExposureStore(exposureDir ?? state?.dir) : undefined;
  const localIps = o.localIps ?? lanIps(o.listen?.ip ?? '0.0.0.0');
  // Registration carries MAX_LOCALS LAN addresses (IPv6 goes in the candidates, not here).
  if (localIps.length > MAX_LOCALS)
    env.log.warn({ localIps, kept: MAX_LOCALS }, 'more LAN addresses than a registration carries');
  const agent = new HomeAgent(env, {
    ...agentOpts,
    id,
    localIps,
    ...(trust ? { trust } : {}),
  });
  // Every client's channel (encrypted in secure mode) gets the device service; a paired client's
  // requests are remembered across its channels (a command re-sent over a new path applies once).
  // A source the owner exposes per client (Home Assistant) is seen through that client's view;
  // forwarded services (issue 19) share the channel: stream frames are split off before the RPC.
  const memory = new RequestMemory();
  const services = new HomeServices(state?.dir, env.clock, env.log);
  // WebRTC for phones (secure mode only: the signalling rides the Noise channel). The native part
  // loads in the background after start; the status says whether it could.
  let rtc: HomeWebRtc | undefined;
  const channels = serveApp(
    agent,
    trust,
    (ch, _peer, client, via) => {
      const { app, streams } = splitChannel(ch);
      const key = client ? new Uint8Array(Buffer.from(client, 'base64url')) : undefined;
      const fp = key ? trust?.fingerprintOf(key) : undefined;
      const view = exposure ? exposedView(devices, exposure, fp) : devices;
      void serveDevices(
        app,
        view,
        env.clock,
        client ? { memory, client } : undefined,
        client && rtc ? (p) => rtc!.handle(p) : undefined,
      );
      // Streams go on the punched socket itself while the channel runs there (docs/streams.md).
      services.attach(streams, key, () => {
        const peer = directPeerOf(via);
        const ep = peer && agent.endpointFor(peer);
        return peer && ep ? { ep, peer } : undefined;
      });
    },
    env.clock,
  );
  if (trust) {
    rtc = new HomeWebRtc(
      env.log,
      rtcOpts ?? {},
      () => [formatAddr(agent.rendezvous)],
      (path, peer) => channels.addDirectPath(path, peer),
      () => (agent.webrtc = rtc?.status ?? ''),
    );
    agent.webrtc = rtc.status;
    // Loaded in the background once the home runs (not at start-up, never for --help), so
    // `home status` tells at once whether phones can go direct.
    void rtc.load();
  }
  const closeChannels = (reason: string): number => {
    const told = channels.closeAll(reason);
    if (told > 0) env.log.info({ channels: told, reason }, 'closed every client channel');
    return told;
  };
  const close = (): void => {
    closeChannels('the home is stopping');
    rtc?.close();
    services.close();
    agent.close();
    devices.close();
  };
  agent.start();
  try {
    const bound = await whenBound(agent.endpoint!);
    return { agent, id, trust, devices, bound, closeChannels, close };
  } catch (e) {
    close();
    const where = o.listen
      ? formatAddr({ ip: o.listen.ip ?? '0.0.0.0', port: o.listen.port ?? 0 })
      : 'any';
    throw new PortholeError<HomeRunErrorKind>(
      'listen-failed',
      `cannot listen on ${where}: ${(e as Error).message}`,
      { listen: where },
    );
  }
}

/** Resolves on the agent's first registration; rejects with 'not-registered' after `timeoutMs`. */
export function untilRegistered(env: Env, agent: HomeAgent, timeoutMs = 5000): Promise<SocketAddr> {
  return new Promise((resolve, reject) => {
    const timer = env.clock.setTimer(timeoutMs, () =>
      reject(
        new PortholeError<HomeRunErrorKind>(
          'not-registered',
          `home did not register within ${timeoutMs} ms`,
          { timeoutMs },
        ),
      ),
    );
    agent.onRegistered((observed) => {
      timer.cancel();
      resolve(observed);
    });
  });
}

/** The LAN IPv4 addresses clients on the same network can use: the bound one, or every interface's. */
function lanIps(boundIp: string): string[] {
  if (boundIp !== '0.0.0.0') return [boundIp];
  return Object.values(networkInterfaces())
    .flat()
    .filter((i) => i !== undefined && i.family === 'IPv4' && !i.internal)
    .map((i) => i!.address);
}
