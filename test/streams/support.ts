// Real-socket plumbing for the stream tests: UDP paths on loopback (one per kind), a Noise
// session over a PathSwitch on each side, and the two stream ends split off the channel.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { generateKeyPair } from 'noise-handshake/dh.js';
import { PATH_MAX_PAYLOAD, type Path, type PathKind } from '../../src/net/path.js';
import { PathSwitch } from '../../src/client/path-switch.js';
import { realClock } from '../../src/net/real-env.js';
import { secureClient, secureServer } from '../../src/secure/noise-channel.js';
import { splitChannel } from '../../src/streams/wire.js';
import {
  ClientStreams,
  HomeStreams,
  type DirectRoute,
  type HomeStreamsOptions,
} from '../../src/streams/mux.js';
import type SecretStream from '@hyperswarm/secret-stream';
import type { SocketAddr } from '../../src/net/types.js';
import { UdxUdpEndpoint } from '../../src/net/udx-udp.js';

export interface UdpPathPair {
  client: Path & { kill(): void };
  home: Path & { kill(): void };
}

function udpPath(sock: UdpSocket, peerPort: number, kind: PathKind): Path & { kill(): void } {
  const closeCbs: ((r: string) => void)[] = [];
  let open = true;
  let dead = false;
  return {
    kind,
    maxPayload: PATH_MAX_PAYLOAD,
    remote: `127.0.0.1:${peerPort}`,
    send: (d) => {
      if (open && !dead) sock.send(d, peerPort, '127.0.0.1');
    },
    onMessage: (cb) =>
      sock.on('message', (d, from) => {
        if (open && !dead && from.port === peerPort) cb(new Uint8Array(d));
      }),
    onClose: (cb) => void closeCbs.push(cb),
    close: () => {
      if (!open) return;
      open = false;
      sock.close();
      closeCbs.splice(0).forEach((cb) => cb('closed'));
    },
    kill: () => {
      dead = true; // a dead path: nothing goes through, nobody is told
    },
  };
}

/** Two UDP sockets on loopback as one path's two ends. */
export async function udpPathPair(kind: PathKind): Promise<UdpPathPair> {
  const bind = (): Promise<UdpSocket> =>
    new Promise((resolve) => {
      const s = createSocket('udp4');
      s.bind(0, '127.0.0.1', () => resolve(s));
    });
  const [a, b] = await Promise.all([bind(), bind()]);
  return {
    client: udpPath(a, b.address().port, kind),
    home: udpPath(b, a.address().port, kind),
  };
}

/** A punched path on UDX sockets (net/udx-udp.ts): streams can send on its sockets directly. */
export interface UdxPathPair extends UdpPathPair {
  cEp: UdxUdpEndpoint;
  hEp: UdxUdpEndpoint;
  cAddr: SocketAddr;
  hAddr: SocketAddr;
}

function udxPath(ep: UdxUdpEndpoint, peer: SocketAddr): Path & { kill(): void } {
  const closeCbs: ((r: string) => void)[] = [];
  const cbs: ((d: Uint8Array) => void)[] = [];
  let open = true;
  let dead = false;
  ep.onDatagram((d, from) => {
    if (open && !dead && from.port === peer.port) for (const cb of cbs) cb(new Uint8Array(d));
  });
  return {
    kind: 'punched',
    maxPayload: PATH_MAX_PAYLOAD,
    remote: `${peer.ip}:${peer.port}`,
    send: (d) => {
      if (open && !dead) ep.send(d, peer);
    },
    onMessage: (cb) => void cbs.push(cb),
    onClose: (cb) => void closeCbs.push(cb),
    close: () => {
      if (!open) return;
      open = false;
      ep.close();
      closeCbs.splice(0).forEach((cb) => cb('closed'));
    },
    kill: () => {
      dead = true;
    },
  };
}

export function udxPathPair(): UdxPathPair {
  const cEp = new UdxUdpEndpoint({ ip: '127.0.0.1' });
  const hEp = new UdxUdpEndpoint({ ip: '127.0.0.1' });
  const cAddr = cEp.localAddress() as SocketAddr;
  const hAddr = hEp.localAddress() as SocketAddr;
  return { cEp, hEp, cAddr, hAddr, client: udxPath(cEp, hAddr), home: udxPath(hEp, cAddr) };
}

export interface StreamWorld {
  client: ClientStreams;
  home: HomeStreams;
  cSwitch: PathSwitch;
  hSwitch: PathSwitch;
  close(): void;
}

/** A Noise session over `first` (a PathSwitch each side) with the stream layer on both ends. */
export async function streamWorld(
  first: { client: Path; home: Path },
  home: Omit<HomeStreamsOptions, 'channel' | 'clock'>,
  /** Each side's punched route (what the client's link and the home's peer channel say). */
  routes?: { client(): DirectRoute | undefined; home(): DirectRoute | undefined },
): Promise<StreamWorld> {
  const hk = generateKeyPair();
  const ck = generateKeyPair();
  const cSwitch = new PathSwitch(first.client);
  const hSwitch = new PathSwitch(first.home);
  const server = secureServer(hSwitch, { staticKeys: hk, authorize: () => ({ ok: true }) });
  const cli = secureClient(cSwitch, {
    staticKeys: ck,
    remoteStatic: hk.publicKey,
    clock: realClock,
  });
  await new Promise<void>((resolve) => cli.onReady(resolve));
  const hs = new HomeStreams({
    ...home,
    channel: splitChannel(server).streams,
    clock: realClock,
    ...(routes ? { route: () => routes.home() } : {}),
  });
  const cs = new ClientStreams({
    channel: splitChannel(cli).streams,
    clock: realClock,
    ...(routes ? { route: () => routes.client() } : {}),
  });
  await Promise.all([hs.ready, cs.ready]);
  return {
    client: cs,
    home: hs,
    cSwitch,
    hSwitch,
    close: () => {
      cs.close();
      hs.close();
      cSwitch.close();
      hSwitch.close();
    },
  };
}

/** A TCP echo server on loopback (half-close aware: it ends after the peer ends). */
export async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, (s: Socket) => {
    s.on('error', () => {}); // a reset from a closed stream
    s.pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('no address');
  return { server, port: addr.port };
}

/**
 * Waits (≤ `ms`) until no UDX stream is left on either end, so closing the world closes at once:
 * a stream still finishing its close whose peer's link is gone waits out UDX's timeouts (~13 s).
 */
export async function settled(w: StreamWorld, ms = 5000): Promise<void> {
  const left = (side: unknown): number =>
    (side as { link: { socket: { streams: Set<unknown> } } }).link.socket.streams.size;
  const end = Date.now() + ms;
  while ((left(w.client) > 0 || left(w.home) > 0) && Date.now() < end)
    await new Promise((r) => setTimeout(r, 10));
}

/** Writes `data` through `s` in chunks with backpressure, then ends; resolves with all it read. */
export function roundTrip(
  s: SecretStream | Socket,
  data: Uint8Array,
  chunk = 64 * 1024,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    s.on('data', (d: Buffer) => got.push(Buffer.from(d)));
    s.once('end', () => resolve(Buffer.concat(got)));
    s.once('error', reject);
    let off = 0;
    const pump = (): void => {
      while (off < data.length) {
        const ok = s.write(data.subarray(off, off + chunk));
        off += chunk;
        if (!ok) return void s.once('drain', pump);
      }
      s.end();
    };
    pump();
  });
}
