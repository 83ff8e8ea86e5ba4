// Resuming a remembered path (remembered.ts): bind the same local port if it is free and knock on
// the home's remembered address a few times within ONE short timeout. The home answers any probe
// for its id (peers.ts) without a spray; the Noise handshake that follows still authenticates it.
// If nothing answers in time the caller runs the full connect: a stale path costs this timeout.
import { newSessionId } from '../net/tx-ids.js';
import { DropCounter, MessageSocket } from '../net/message-socket.js';
import { TxIds } from '../net/tx-ids.js';
import type { Env, SocketAddr, TimerHandle } from '../net/types.js';
import { formatAddr, parseAddr, sameAddr } from '../wire/addr.js';
import { DEFAULT_CONNECT, type ConnectOptions, type ConnectResult } from './connect-config.js';
import { Connection } from './connection.js';
import type { PathMemory, RememberedPath } from './remembered.js';

/** The whole cost of a stale path, ms. */
export const RESUME_TIMEOUT_MS = 450;
const KNOCKS = 3;

/** Knocks on `path`; resolves with the connection, or undefined (port taken, no answer). */
export function resume(
  env: Env,
  opts: ConnectOptions,
  path: RememberedPath,
  timeoutMs = RESUME_TIMEOUT_MS,
): Promise<Extract<ConnectResult, { ok: true }> | undefined> {
  return new Promise((resolve) => {
    let home: SocketAddr;
    try {
      home = parseAddr(path.home);
    } catch {
      return resolve(undefined);
    }
    const started = env.clock.now();
    const session = newSessionId(env.rng);
    const tx = new TxIds(env.rng);
    const sent = new Set<number>();
    const timers: TimerHandle[] = [];
    let settled = false;
    const finish = (r: Extract<ConnectResult, { ok: true }> | undefined): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) t.cancel();
      if (!r) sock.close();
      resolve(r);
    };
    const ep = env.net.open({ ...(opts.bindIp ? { ip: opts.bindIp } : {}), port: path.localPort });
    const sock = new MessageSocket(ep, new DropCounter(), env.log, (msg, from) => {
      if (msg.type !== 'probeReply' || msg.session !== session || !sent.has(msg.tx)) return;
      if (!sameAddr(from, home)) return;
      const ms = Math.round((env.clock.now() - started) * 10) / 10;
      const connection = new Connection(sock, from, env.clock, env.rng, {
        homeId: opts.home,
        session,
        keepaliveMs: opts.keepaliveMs ?? DEFAULT_CONNECT.keepaliveMs,
      });
      const report = {
        path: 'direct' as const,
        ms,
        steps: { resume: ms },
        attempts: 0,
        packetsSent: sock.sent,
        socketsOpened: 1,
        home: formatAddr(from),
        resumed: true,
      };
      finish({ ok: true, report, connection });
    });
    ep.onError(() => finish(undefined)); // the port is taken (or gone): no shortcut
    for (let i = 0; i < KNOCKS; i++) {
      timers.push(
        env.clock.setTimer((i * timeoutMs) / KNOCKS, () => {
          const t = tx.next();
          sent.add(t);
          sock.send({ type: 'probe', tx: t, homeId: opts.home, session }, home);
        }),
      );
    }
    timers.push(env.clock.setTimer(timeoutMs, () => finish(undefined)));
  });
}

/**
 * The remembered path first, then `full()` (the connect through the rendezvous). The report says
 * `resumed` (true/false) whenever a path was remembered; `steps.resume` is what the try cost.
 */
export async function viaRemembered(
  env: Env,
  opts: ConnectOptions,
  paths: PathMemory,
  full: () => Promise<ConnectResult>,
): Promise<ConnectResult> {
  const path = paths.recall();
  if (!path) return full();
  const started = env.clock.now();
  const resumed = await resume(env, opts, path);
  if (resumed) return resumed;
  const tried = Math.round((env.clock.now() - started) * 10) / 10;
  const r = await full();
  r.report.resumed = false;
  r.report.steps.resume = tried;
  return r;
}

/** Keeps the path `connection` took for next time. */
export function rememberPath(paths: PathMemory, connection: Connection): void {
  const local = connection.local;
  if (local) paths.remember({ localPort: local.port, home: formatAddr(connection.peer) });
}
