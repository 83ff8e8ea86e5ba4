// A simultaneous IPv6 knock with plain UDP sockets, run in two lab namespaces at once: each side
// binds its global address, waits for a shared start instant, then sends to the other side every
// `intervalMs` until it has heard the peer AND sent once more after that (at once on the first
// packet heard: the peer's firewall is open by then, so it hears that one), at most `maxPackets`. Nothing of Porthole runs here:
// this measures what the network allows (issue 13's IPv6 lab rows).
import { spawn } from 'node:child_process';

/** The agent: CommonJS for `node -e` (no file on disk; the same from lab/ and dist/lab/). */
const KNOCK_SOURCE = `
const dgram = require('node:dgram');
const c = JSON.parse(process.argv[1]);
const s = dgram.createSocket({ type: 'udp6', ipv6Only: true });
const r = { sent: 0, received: 0, firstSendMs: null, firstRecvMs: null, sentBeforeFirstRecv: null, firstHeardSeq: null, error: null };
let afterRecv = 0;
const rel = () => Math.round((performance.timeOrigin + performance.now() - c.startAt) * 10) / 10;
const finish = () => { try { s.close(); } catch {} process.stdout.write(JSON.stringify(r) + '\\n'); process.exit(0); };
s.on('error', (e) => { r.error = e.message; finish(); });
s.on('message', (d, from) => {
  if (from.address !== c.peerIp || from.port !== c.peerPort) return;
  r.received++;
  if (r.firstRecvMs !== null) return;
  r.firstRecvMs = rel();
  r.firstHeardSeq = Number(String(d).split(' ')[1]);
  r.sentBeforeFirstRecv = r.sent;
  // Answer at once: the peer's firewall is open now (it sent), so this one gets through.
  if (c.send && r.sent < c.maxPackets) { s.send('knock ' + r.sent, c.peerPort, c.peerIp); r.sent++; afterRecv++; }
});
const tick = () => {
  const done = r.received > 0 && afterRecv > 0;
  if (!c.send || done || r.sent >= c.maxPackets) return;
  if (r.firstSendMs === null) r.firstSendMs = rel();
  s.send('knock ' + r.sent, c.peerPort, c.peerIp);
  r.sent++;
  if (r.received > 0) afterRecv++;
  setTimeout(tick, c.intervalMs);
};
s.bind(c.port, c.ip, () => {
  const wait = Math.max(0, c.startAt - Date.now());
  setTimeout(tick, wait + c.delayMs);
  setTimeout(finish, wait + c.listenMs);
});
`;

export interface KnockSide {
  ns: string;
  ip: string;
  port: number;
  /** false: only listen (the unsolicited-packet check). */
  send: boolean;
  /** Start this many ms after the shared instant (the home hears `peerInfo` before the client
   * hears `ready`); default 0. */
  delayMs?: number;
}

export interface KnockOptions {
  intervalMs: number;
  maxPackets: number;
  /** How long each side runs after the start instant, ms. */
  listenMs: number;
  /** Delay from spawning to the shared start instant (covers node start-up), ms. */
  startDelayMs: number;
}

export interface KnockSideResult {
  sent: number;
  received: number;
  /** Ms from the shared start instant (null: never). */
  firstSendMs: number | null;
  firstRecvMs: number | null;
  sentBeforeFirstRecv: number | null;
  /** Which of the peer's knocks (0-based) was the first to get through. */
  firstHeardSeq: number | null;
  error: string | null;
}

export const DEFAULT_KNOCK: KnockOptions = {
  intervalMs: 20,
  maxPackets: 10,
  listenMs: 1_500,
  startDelayMs: 1_500,
};

function runSide(
  me: KnockSide,
  peer: KnockSide,
  startAt: number,
  o: KnockOptions,
): Promise<KnockSideResult> {
  const cfg = {
    ip: me.ip,
    port: me.port,
    send: me.send,
    delayMs: me.delayMs ?? 0,
    peerIp: peer.ip,
    peerPort: peer.port,
    startAt,
    intervalMs: o.intervalMs,
    maxPackets: o.maxPackets,
    listenMs: o.listenMs,
  };
  const args = ['netns', 'exec', me.ns, process.execPath, '-e', KNOCK_SOURCE, JSON.stringify(cfg)];
  return new Promise((resolve, reject) => {
    const p = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => void (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => void (err += b.toString()));
    // Bounded: the agent exits by itself after listenMs; this is the backstop.
    const kill = setTimeout(() => p.kill('SIGKILL'), o.startDelayMs + o.listenMs + 10_000);
    p.on('close', () => {
      clearTimeout(kill);
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as KnockSideResult);
      } catch {
        reject(new Error(`knock agent in ${me.ns} gave no result: ${err.trim() || out.trim()}`));
      }
    });
  });
}

/** Runs both sides against each other from one shared start instant. */
export async function knock(
  a: KnockSide,
  b: KnockSide,
  opts: Partial<KnockOptions> = {},
): Promise<[KnockSideResult, KnockSideResult]> {
  const o = { ...DEFAULT_KNOCK, ...opts };
  const startAt = Date.now() + o.startDelayMs;
  const [ra, rb] = await Promise.all([runSide(a, b, startAt, o), runSide(b, a, startAt, o)]);
  for (const [side, r] of [
    [a, ra],
    [b, rb],
  ] as const) {
    if (r.error) throw new Error(`knock agent in ${side.ns}: ${r.error}`);
  }
  return [ra, rb];
}
