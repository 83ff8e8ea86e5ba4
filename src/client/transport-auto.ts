// The relay transport chosen by itself (issue 21 item 1, docs/seams.md §8): ask the rendezvous
// over UDP where its other fronts are (infoQuery → serverInfo, 1 s); no answer means UDP is
// blocked here, so try its TCP front (the UDP port number unless it said otherwise), then its
// WebSocket front, each bounded. What worked is remembered per network by the caller
// (cli/transport-cache.ts), so the next connect on this network goes straight to it.
import { connect as tcpConnect } from 'node:net';
import WebSocket from 'ws';
import type { Env, SocketAddr } from '../net/types.js';
import { sameAddr } from '../wire/addr.js';
import { decode, encode } from '../wire/messages.js';
import { INFO_PAD } from '../wire/server-messages.js';
import { REQUEST_PAD } from '../wire/limits.js';
import type { RelayTransport } from './relay-choice.js';

/** A rendezvous' stream fronts as its serverInfo names them (0 / "" = none). */
export interface ServerFronts {
  tcpPort: number;
  wsUrl: string;
  appUrl: string;
}

export interface TransportPick {
  transport: RelayTransport;
  /** The fronts the rendezvous told (fresh), or the cached ones. */
  fronts?: ServerFronts;
  /** Where the TCP relay is (tcp), or the WebSocket URL to dial (ws). */
  tcp?: SocketAddr;
  wsUrl?: string;
}

export interface TransportProbes {
  /**
   * serverInfo over UDP within `ms`; 'answered' when a rendezvous older than serverInfo answered
   * (UDP works, no fronts named); undefined when silent (UDP is blocked or it is down).
   */
  udpInfo(rendezvous: SocketAddr, ms: number): Promise<ServerFronts | 'answered' | undefined>;
  tcpOpens(addr: SocketAddr, ms: number): Promise<boolean>;
  wsOpens(url: string, ms: number): Promise<boolean>;
}

/** How long the rendezvous may stay silent over UDP before TCP is tried (seam §8: 1 s). */
export const UDP_SILENCE_MS = 1000;
const STREAM_OPEN_MS = 1500;
/** After an `observed`, how long a serverInfo may still come before the rendezvous is taken
 * for one older than it (no fronts named). */
const OLDER_GRACE_MS = 150;

/** A wsUrl on a wildcard host ("ws://0.0.0.0:443/porthole") means "the rendezvous' own host". */
export function wsUrlFor(url: string, rendezvous: SocketAddr): string | undefined {
  try {
    const u = new URL(url);
    if (u.protocol !== 'ws:' && u.protocol !== 'wss:') return undefined;
    if (u.hostname === '0.0.0.0' || u.hostname === '[::]')
      u.hostname = rendezvous.ip.includes(':') ? `[${rendezvous.ip}]` : rendezvous.ip;
    return u.toString();
  } catch {
    return undefined;
  }
}

/**
 * Picks the transport: `cached` (what worked on this network) first when it is a stream, else
 * UDP if the rendezvous answers there, else TCP, else WS; UDP when nothing answers at all (the
 * connect then fails with its own clear reason).
 */
export async function pickTransport(
  rendezvous: SocketAddr,
  cached: { transport?: RelayTransport; fronts?: ServerFronts },
  probes: TransportProbes,
): Promise<TransportPick> {
  const tcpAt = (f: ServerFronts | undefined): SocketAddr => ({
    ip: rendezvous.ip,
    port: f?.tcpPort || rendezvous.port,
  });
  const tryStreams = async (f: ServerFronts | undefined): Promise<TransportPick | undefined> => {
    const tcp = tcpAt(f);
    if (f?.tcpPort !== 0 && (await probes.tcpOpens(tcp, STREAM_OPEN_MS)))
      return { transport: 'tcp', tcp, ...(f ? { fronts: f } : {}) };
    const url = f?.wsUrl ? wsUrlFor(f.wsUrl, rendezvous) : undefined;
    if (url && (await probes.wsOpens(url, STREAM_OPEN_MS)))
      return { transport: 'ws', wsUrl: url, ...(f ? { fronts: f } : {}) };
    return undefined;
  };
  // UDP was blocked here last time: straight to the stream that worked.
  if (cached.transport && cached.transport !== 'udp') {
    const hit = await tryStreams(cached.fronts);
    if (hit) return hit;
  }
  const info = await probes.udpInfo(rendezvous, UDP_SILENCE_MS);
  if (info === 'answered') return { transport: 'udp' };
  if (info) return { transport: 'udp', fronts: info };
  return (
    (await tryStreams(cached.fronts)) ?? {
      transport: 'udp',
      ...(cached.fronts ? { fronts: cached.fronts } : {}),
    }
  );
}

/** The real probes: UDP through the Env (its clock bounds the wait), TCP and WS on the OS. */
export function realProbes(env: Env, bindIp?: string): TransportProbes {
  return {
    udpInfo: (rendezvous, ms) =>
      new Promise((resolve) => {
        const ep = env.net.open(bindIp ? { ip: bindIp } : {});
        const tx = env.rng.int(0xffffffff);
        const query = encode({ type: 'infoQuery', tx }, INFO_PAD);
        // Beside it an `observe`, which a rendezvous older than infoQuery answers too (issue 21
        // item 10): UDP works there, it just names no fronts — not a second of silence.
        const observe = encode({ type: 'observe', tx }, REQUEST_PAD);
        const timers = [0, ms / 3, (2 * ms) / 3].map((at) =>
          env.clock.setTimer(at, () => {
            ep.send(query, rendezvous);
            ep.send(observe, rendezvous);
          }),
        );
        let grace: { cancel(): void } | undefined;
        const finish = (f: ServerFronts | 'answered' | undefined): void => {
          for (const t of timers) t.cancel();
          grace?.cancel();
          deadline.cancel();
          ep.close();
          resolve(f);
        };
        const deadline = env.clock.setTimer(ms, () => finish(undefined));
        ep.onError(() => {}); // an unreachable network is silence, not a crash
        ep.onDatagram((d, from) => {
          if (!sameAddr(from, rendezvous)) return;
          const r = decode(d);
          if (r.ok && r.msg.type === 'serverInfo' && r.msg.tx === tx)
            finish({ tcpPort: r.msg.tcpPort, wsUrl: r.msg.wsUrl, appUrl: r.msg.appUrl });
          // Answered over UDP; a serverInfo, if this rendezvous has it, comes with the answer.
          else if (r.ok && r.msg.type === 'observed' && r.msg.tx === tx && !grace)
            grace = env.clock.setTimer(OLDER_GRACE_MS, () => finish('answered'));
        });
      }),
    tcpOpens: (addr, ms) =>
      new Promise((resolve) => {
        const sock = tcpConnect({ host: addr.ip, port: addr.port });
        const done = (ok: boolean): void => {
          clearTimeout(timer);
          sock.destroy();
          resolve(ok);
        };
        const timer = setTimeout(() => done(false), ms);
        sock.once('connect', () => done(true));
        sock.once('error', () => done(false));
      }),
    wsOpens: (url, ms) =>
      new Promise((resolve) => {
        const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: ms });
        const done = (ok: boolean): void => {
          clearTimeout(timer);
          ws.terminate();
          resolve(ok);
        };
        const timer = setTimeout(() => done(false), ms);
        ws.once('open', () => done(true));
        ws.once('error', () => done(false));
      }),
  };
}
