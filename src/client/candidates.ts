// Issue 13's step before IPv4 traversal: learn the home's extra candidates from the rendezvous,
// then (1) a verified router-mapped address is tried first as the patent's step 1 (a few probes,
// short timeout: no spray when it answers), and (2) when both sides have IPv6, an IPv6 knock
// races IPv4 traversal with a head start (net/race.ts); the first path wins, the other is
// cancelled. Either way the result is the connector's ConnectResult, with report.path 'ipv6' or
// 'mapped' when those won.
import { newSessionId } from '../net/tx-ids.js';
import { isIPv6 } from 'node:net';
import { DERIVED_ID } from '../secure/keys.js';
import { boundAddr } from '../net/bound.js';
import { DropCounter, MessageSocket } from '../net/message-socket.js';
import { knockAttempt, type KnockWin } from '../net/knock6.js';
import { raceAttempts, type Attempt, type AttemptOutcome } from '../net/race.js';
import { TxIds } from '../net/tx-ids.js';
import { localIpv6 } from '../net/local-ipv6.js';
import type { Env, SocketAddr, UdpEndpoint } from '../net/types.js';
import { formatAddr, sameAddr } from '../wire/addr.js';
import { candidateListBytes, type Candidate } from '../wire/candidates.js';
import { decode, encode } from '../wire/messages.js';
import { queryCandidates } from './candidate-query.js';
import { connect, connectAsync, Connection, DEFAULT_CONNECT } from './connector.js';
import type { ConnectOptions, ConnectResult } from './connect-config.js';
import { connectError } from './connect-error.js';

export interface ClientCandidateOptions {
  /** 'off' (the library default): straight to the connector, nothing extra sent. */
  mode?: 'auto' | 'off';
  /** The client's IPv6 address to knock from: 'auto' (default) picks a global one, 'off', or an address. */
  ipv6?: string;
  /** IPv6 head start over IPv4 traversal, ms (RFC 8305: 250). */
  headStartMs?: number;
}

type Won = { ok: true } & Extract<ConnectResult, { ok: true }>;

/** A signed home answers the query itself (forwarded by the rendezvous): one more round trip. */
const SIGNED_QUERY_MS = 1200;

/** Runs the candidates step, then the connector; resolves like connectAsync. */
export async function connectWithCandidates(
  env: Env,
  opts: ConnectOptions,
  c: ClientCandidateOptions = {},
): Promise<ConnectResult> {
  if ((c.mode ?? 'off') === 'off' || opts.direct) return connectAsync(env, opts);
  const t0 = env.clock.now();
  // The rendezvous given as an IPv6 address: this client has no IPv4 path (v6-only).
  const v6only = isIPv6(opts.rendezvous.ip);
  const session = newSessionId(env.rng);
  const v6sock = openV6(env, c.ipv6 ?? 'auto');
  const v6addr = v6sock && (await boundAddr(env.clock, v6sock));
  const mine: Candidate[] = v6addr ? [{ kind: 'ipv6', addr: v6addr }] : [];
  if (v6only && !v6sock) return v6Failed(opts, 'this client has no global IPv6 address to use');
  const answer = await queryCandidates(env, {
    homeId: opts.home,
    rendezvous: opts.rendezvous,
    session,
    mine,
    bindIp: v6only ? (v6addr?.ip ?? '::') : opts.bindIp,
    auth: opts.trust?.candidatesAuth?.(opts.home, session, candidateListBytes(mine)),
    ...(DERIVED_ID.test(opts.home) ? { deadlineMs: SIGNED_QUERY_MS } : {}),
  });
  const theirs = answer ?? [];
  const mapped = theirs.find((x) => x.kind === 'mapped')?.addr;
  const home6 = theirs.find((x) => x.kind === 'ipv6')?.addr;
  if (v6only) return v6Only(env, opts, v6sock, v6addr, home6, answer !== undefined, session, t0);
  const v4opts: ConnectOptions = mapped
    ? { ...opts, direct: mapped, directProbes: 3, directTimeoutMs: 300, forceAssist: false }
    : opts;
  if (!v6sock || !v6addr || !home6) {
    v6sock?.close();
    return asMapped(await connectAsync(env, v4opts), mapped);
  }
  return race(env, v4opts, v6sock, home6, session, t0, c.headStartMs, mapped);
}

/** No IPv4 at all: the IPv6 knock is the only way; each missing piece is named. */
async function v6Only(
  env: Env,
  opts: ConnectOptions,
  sock: UdpEndpoint | undefined,
  mine: SocketAddr | undefined,
  home6: SocketAddr | undefined,
  answered: boolean,
  session: string,
  t0: number,
): Promise<ConnectResult> {
  const why =
    !sock || !mine
      ? 'this client has no global IPv6 address to use'
      : !answered
        ? `the rendezvous did not answer the candidates query over IPv6`
        : !home6
          ? 'the home has no IPv6 address (or did not accept this client), and this client has ' +
            'no IPv4: a v4-only home cannot be reached from a v6-only client'
          : undefined;
  if (why || !sock || !home6) {
    sock?.close();
    return v6Failed(opts, why ?? '');
  }
  const knock = homeKnock(env, sock, home6, opts.home, session);
  const r = await new Promise<AttemptOutcome<KnockWin>>((resolve) => knock.start(resolve));
  if (r.ok) return ipv6Win(env, opts, sock, r.value, session, t0);
  sock.close();
  return v6Failed(opts, `v6-only client: ${r.error.message}`);
}

function v6Failed(opts: ConnectOptions, reason: string): ConnectResult {
  return raceFailed(`v6-only client (rendezvous ${formatAddr(opts.rendezvous)}): ${reason}`, opts);
}

/** The IPv6 knock towards the home: our probe, answered by the home's probeReply. */
function homeKnock(
  env: Env,
  sock: UdpEndpoint,
  home6: SocketAddr,
  homeId: string,
  session: string,
): Attempt<KnockWin> {
  const tx = new TxIds(env.rng).next();
  const probe = encode({ type: 'probe', tx, homeId, session });
  const answers = (d: Uint8Array): boolean => {
    const r = decode(d);
    return r.ok && r.msg.type === 'probeReply' && r.msg.session === session;
  };
  return knockAttempt(env.clock, sock, home6, { payload: probe, accept: answers });
}

function openV6(env: Env, choice: string): UdpEndpoint | undefined {
  if (choice === 'off') return undefined;
  const ip = choice === 'auto' ? localIpv6() : choice;
  if (!ip) return undefined;
  const ep = env.net.open({ ip });
  ep.onError(() => ep.close());
  return ep;
}

function asMapped(r: ConnectResult, mapped: SocketAddr | undefined): ConnectResult {
  if (r.ok && mapped && r.report.path === 'direct' && sameAddr(r.connection.peer, mapped))
    r.report.path = 'mapped';
  return r;
}

/** IPv4 traversal as a racer attempt; its failure result is kept for the caller. */
function v4Attempt(env: Env, o: ConnectOptions, failed: (r: ConnectResult) => void): Attempt<Won> {
  let handle: { cancel(): void } | undefined;
  let cancelled = false;
  return {
    start(done) {
      handle = connect(env, o, (r) => {
        if (cancelled) return;
        if (r.ok) return done({ ok: true, value: r });
        failed(r);
        done({ ok: false, error: r.cause });
      });
    },
    cancel() {
      cancelled = true;
      handle?.cancel();
    },
  };
}

function race(
  env: Env,
  v4opts: ConnectOptions,
  sock: UdpEndpoint,
  home6: SocketAddr,
  session: string,
  t0: number,
  headStartMs: number | undefined,
  mapped: SocketAddr | undefined,
): Promise<ConnectResult> {
  const knock = homeKnock(env, sock, home6, v4opts.home, session);
  let v4failure: ConnectResult | undefined;
  const v6: Attempt<Won | KnockWin> = knock;
  return new Promise((resolve) => {
    raceAttempts<Won | KnockWin>(
      env.clock,
      v6,
      v4Attempt(env, v4opts, (r) => (v4failure = r)),
      { timeoutMs: 120_000, headStartMs },
      (r) => {
        if (r.ok && 'connection' in r.value) {
          sock.close();
          return resolve(asMapped(r.value, mapped));
        }
        if (r.ok) return resolve(ipv6Win(env, v4opts, sock, r.value as KnockWin, session, t0));
        sock.close();
        resolve(v4failure ?? raceFailed(r.error.message, v4opts));
      },
    );
  });
}

function ipv6Win(
  env: Env,
  o: ConnectOptions,
  sock: UdpEndpoint,
  win: KnockWin,
  session: string,
  t0: number,
): ConnectResult {
  const ms = Math.round((env.clock.now() - t0) * 10) / 10;
  const msock = new MessageSocket(sock, new DropCounter(), env.log, () => {});
  const connection = new Connection(msock, win.peer, env.clock, env.rng, {
    homeId: o.home,
    session,
    keepaliveMs: o.keepaliveMs ?? DEFAULT_CONNECT.keepaliveMs,
  });
  o.onStep?.({
    step: 1,
    name: 'direct',
    atMs: ms,
    detail: `ipv6: home answered from ${formatAddr(win.peer)}`,
  });
  return {
    ok: true,
    connection,
    report: {
      path: 'ipv6',
      ms,
      steps: { ipv6: ms },
      attempts: 1,
      packetsSent: win.sent,
      socketsOpened: 1,
      home: formatAddr(win.peer),
    },
  };
}

/** The race's deadline passed before the connector reported (it has its own bounds). */
function raceFailed(reason: string, o: ConnectOptions): ConnectResult {
  const cause = connectError('no-path', {
    home: o.home,
    rendezvous: formatAddr(o.rendezvous),
    reason,
  });
  const report = {
    path: 'punched' as const,
    ms: 0,
    steps: {},
    attempts: 0,
    packetsSent: 0,
    socketsOpened: 0,
    home: o.home,
  };
  return { ok: false, kind: 'no-path', error: cause.message, cause, report };
}
