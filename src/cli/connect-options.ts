// The options every command that reaches a home shares, and turning them into a reach().
import { Option, type Command } from 'commander';
import {
  RELAY_HEAD_START_MS,
  type RelayChoice,
  type RelayMode,
  type RelayTransport,
} from '../client/relay-choice.js';
import type { ConnectOptions } from '../client/connector.js';
import type { ClientCandidateOptions } from '../client/candidates.js';
import { ipv6Arg, onOffArg } from './candidate-args.js';
import type { PairedHome, Reached } from '../client/reach.js';
import type { ServerFronts, TransportPick } from '../client/transport-auto.js';
import {
  forgetTransport,
  loadTransport,
  saveTransport,
  transportCacheFile,
} from './transport-cache.js';
import { isPortholeError, PortholeError } from '../errors.js';
import type { Env, Logger, SocketAddr } from '../net/types.js';
import { die } from './lifecycle.js';
import {
  loadCachedNat,
  natCacheFile,
  natLearning,
  networkKey,
  saveCachedNat,
} from './nat-cache.js';
import { makeLogger } from './logger.js';
import { addrArg, homeIdArg, intArg, ipArg, type LogLevel } from './parse.js';
import { hostPortArg, resolveHostPort, type HostPort } from './resolve.js';

export interface ConnectCliOptions {
  /** Optional when the state dir holds exactly one paired home. */
  home?: string;
  /** Required without --state; with it, defaults to the rendezvous stored at pairing. */
  rendezvous?: HostPort;
  state?: string;
  direct?: SocketAddr;
  bind?: string;
  sockets?: number;
  probes?: number;
  rounds?: number;
  punchTimeout?: number;
  forceAssist?: boolean;
  /** --no-discovery sets false: no NAT classification, the patent round then the reversed. */
  discovery?: boolean;
  /** --no-nat-cache sets false: classify on every connect, keep nothing. */
  natCache?: boolean;
  json?: boolean;
  candidates: 'auto' | 'off';
  ipv6: string;
  relay?: RelayMode;
  relayTransport?: RelayTransport | 'auto';
  relayAddr?: SocketAddr;
  relayFirst?: boolean;
  relayHeadStart?: number;
  /**
   * Not a flag: a kept connection reconnecting (the agent) checks that UDP still reaches the
   * rendezvous (one round trip; 1 s when it does not) instead of trusting a cached "udp" — the
   * path may have died because UDP is now blocked, and a relay over UDP would cost 7 s to fail.
   */
  recheckUdp?: boolean;
  /**
   * Not a flag: a kept connection (the agent) that went onto a TCP/WS relay because UDP was
   * blocked re-checks UDP in the background (15 s, 30 s, then every 60 s) and moves its session
   * back onto UDP when the rendezvous answers there, remembering "udp" for this network again.
   */
  returnToUdp?: boolean;
}

export function withConnectOptions(cmd: Command): Command {
  return cmd
    .option('--home <ID>', "the home's id (default: the one home paired in --state)", homeIdArg)
    .option(
      '--state <DIR>',
      'client state dir (paired homes): signed requests and an encrypted channel',
    )
    .option(
      '--rendezvous <HOST:PORT>',
      'the rendezvous, IP or DNS name (every address is tried; default with --state: from pairing)',
      hostPortArg,
    )
    .option('--direct <HOST:PORT>', 'try this home address directly first (step 1)', addrArg)
    .option('--bind <IP>', "local IP for the client's sockets", ipArg)
    .option('--sockets <M>', 'M: extra sockets probing the home (patent: 500)', intArg(0, 5000))
    .option('--probes <K>', "probes from the first socket to the home's mapped port", intArg(1, 50))
    .option('--rounds <R>', 'assisted rounds before giving up', intArg(1, 20))
    .option('--punch-timeout <MS>', "wait for the home's answer per round", intArg(50, 60_000))
    .option('--force-assist', 'skip the direct step even with --direct')
    .option('--json', 'machine-readable output: one JSON line on stdout')
    .option(
      '--candidates <MODE>',
      "ask the rendezvous for the home's mapped/IPv6 addresses first: auto or off",
      onOffArg,
      'auto',
    )
    .option(
      '--ipv6 <ADDR>',
      "knock over IPv6 from: 'auto' (a global address), 'off', or an address",
      ipv6Arg,
      'auto',
    )
    .option(
      '--no-discovery',
      "don't classify this NAT (STUN beside the connect): no method choice, patent round first",
    )
    .option(
      '--no-nat-cache',
      'classify this NAT on every connect (default: cached 5 min per network, in --state or ~/.cache/porthole)',
    )
    .addOption(
      new Option(
        '--relay <MODE>',
        'relay through the rendezvous: auto (traversal first; the relay too after --relay-head-start, then upgrade to direct), off, only (never direct), first (relayed at once, then upgrade; for tests)',
      )
        .choices(['auto', 'off', 'only', 'first'])
        .default('auto'),
    )
    .option('--relay-first', 'same as --relay first: start relayed, then move onto a direct path')
    .option(
      '--relay-head-start <MS>',
      'with --relay auto: how long traversal runs alone before the relay is tried beside it',
      intArg(0, 60_000),
      RELAY_HEAD_START_MS,
    )
    .addOption(
      new Option(
        '--relay-transport <T>',
        'how to reach the rendezvous and its relay: auto (UDP; when the rendezvous is silent ' +
          'over UDP for 1 s, its TCP and then its WebSocket front, remembered per network), ' +
          'or force udp, tcp or ws',
      )
        .choices(['auto', 'udp', 'tcp', 'ws'])
        .default('auto'),
    )
    .option(
      '--relay-addr <HOST:PORT>',
      "the relay's address for --relay-transport (default: the rendezvous address)",
      addrArg,
    );
}

export function toConnectOptions(
  o: Omit<ConnectCliOptions, 'rendezvous'> & { home: string; rendezvous: SocketAddr },
): ConnectOptions & { candidates: ClientCandidateOptions } {
  const discovery = o.discovery !== false;
  const file = discovery && o.natCache !== false ? natCacheFile(o.state) : undefined;
  const key = networkKey(o.rendezvous, o.bind);
  const cached = file ? loadCachedNat(file, key) : undefined;
  return {
    candidates: { mode: o.candidates, ipv6: o.ipv6 },
    ...(cached ? { nat: cached.nat, natPublicIp: cached.publicIp } : {}),
    ...(file
      ? {
          onNatStart: natLearning.started,
          onNat: (nat, ip, sent) => {
            saveCachedNat(file, key, nat, ip);
            natLearning.ended(nat, sent);
          },
        }
      : {}),
    home: o.home,
    rendezvous: o.rendezvous,
    direct: o.direct,
    bindIp: o.bind,
    sockets: o.sockets,
    probes: o.probes,
    rounds: o.rounds,
    punchTimeoutMs: o.punchTimeout,
    forceAssist: o.forceAssist,
    discovery,
  };
}

export function logFor(cmd: Command, role: string): Logger {
  const { logLevel } = cmd.optsWithGlobals<{ logLevel: LogLevel }>();
  return makeLogger(logLevel, role);
}

/** A command line that cannot work as given: exit 2, like commander's own usage errors. */
function usageError(text: string): PortholeError<'usage'> {
  return new PortholeError('usage', `error: ${text}`);
}

/** The home to reach: --home, or the only home paired in --state (usage error otherwise). */
export async function pickHome(o: Pick<ConnectCliOptions, 'home' | 'state'>): Promise<string> {
  if (o.home) return o.home;
  if (!o.state) throw usageError("required option '--home <ID>' not specified");
  const { listHomes } = await import('../secure/state.js');
  const homes = listHomes(o.state).map((h) => h.homeId);
  if (homes.length === 1) return homes[0] as string;
  if (homes.length === 0)
    throw usageError(`no home is paired in ${o.state}: run \`porthole client pair CODE\` first`);
  throw usageError(
    `several homes are paired in ${o.state}; say which with --home: ${homes.join(', ')}`,
  );
}

/** Where `o` says to go: the paired home from --state (StateError), and the rendezvous. */
async function resolveTarget(
  o: ConnectCliOptions,
  home: string,
): Promise<{ paired?: PairedHome; rendezvous: SocketAddr[] }> {
  const { loadPairedHome } = await import('../client/reach.js');
  const paired = o.state ? loadPairedHome(o.state, home) : undefined;
  if (o.rendezvous)
    return { ...(paired ? { paired } : {}), rendezvous: await resolveHostPort(o.rendezvous) };
  if (!paired) throw usageError("required option '--rendezvous <HOST:PORT>' not specified");
  return { paired, rendezvous: [paired.rendezvous] };
}

/**
 * reach() with the command line's options; rejects with a usage, state, dns or reach
 * PortholeError. A rendezvous name with several addresses: each is tried while none answers.
 */
export async function reachFromCli(o: ConnectCliOptions, log: Logger): Promise<Reached> {
  const home = await pickHome(o);
  const { paired, rendezvous } = await resolveTarget(o, home);
  // What reaches a home (connector, relay, Noise…) loads when a command connects, not before.
  const [{ reach }, { realEnv }] = await Promise.all([
    import('../client/reach.js'),
    import('../net/real-env.js'),
  ]);
  for (let i = 0; ; i++) {
    const rv = rendezvous[i] as SocketAddr;
    try {
      const relay: RelayChoice = {
        mode: o.relayFirst ? 'first' : (o.relay ?? 'auto'),
        headStartMs: o.relayHeadStart ?? RELAY_HEAD_START_MS,
        transport: o.relayTransport === 'auto' || !o.relayTransport ? 'udp' : o.relayTransport,
        ...(o.relayAddr ? { addr: o.relayAddr } : {}),
      };
      const opts = toConnectOptions({ ...o, home, rendezvous: rv });
      if ((o.relayTransport ?? 'auto') !== 'auto' || relay.mode === 'off') {
        const r = await reach(realEnv(log, { udx: true }), opts, paired, relay);
        r.report.transportChosen = 'forced';
        return r;
      }
      return await withAutoTransport(o, rv, log, relay, (env, r) => reach(env, opts, paired, r));
    } catch (e) {
      const silent = isPortholeError(e, 'unreachable') && e.detail.connectKind === 'no-rendezvous';
      if (!silent || i + 1 >= rendezvous.length) throw e;
      log.warn(
        { rendezvous: `${rv.ip}:${rv.port}` },
        'rendezvous does not answer; trying the next address',
      );
    }
  }
}

/**
 * --relay-transport auto (issue 21 item 1; `run` connects or pairs): what worked on this network (cached), else UDP if
 * the rendezvous answers there within 1 s, else its TCP front, else its WebSocket front. UDP
 * blocked: only a relay can help, so the connect goes relayed at once. A cached choice that no
 * longer works is forgotten and the probe runs once more.
 */
export async function withAutoTransport(
  o: Pick<ConnectCliOptions, 'natCache' | 'state' | 'bind' | 'recheckUdp' | 'returnToUdp'>,
  rv: SocketAddr,
  log: Logger,
  base: RelayChoice,
  run: (env: Env, relay: RelayChoice) => Promise<Reached>,
): Promise<Reached> {
  const [{ realEnv }, { pickTransport, realProbes, UDP_SILENCE_MS }] = await Promise.all([
    import('../net/real-env.js'),
    import('../client/transport-auto.js'),
  ]);
  const env = realEnv(log, { udx: true });
  const file = o.natCache !== false ? transportCacheFile(natCacheFile(o.state)) : undefined;
  const key = networkKey(rv, o.bind);
  let fronts: ServerFronts | undefined;
  // The agent on a stream relay: is UDP back? (serverInfo over UDP, 3 tries in 1 s)
  const udpBack = (choice: RelayChoice): NonNullable<RelayChoice['udpBack']> => ({
    choice,
    probe: async () => {
      const info = await realProbes(env, o.bind).udpInfo(rv, UDP_SILENCE_MS);
      if (info && info !== 'answered') fronts = info;
      return info !== undefined;
    },
    moved: () => {
      log.info({ transport: 'udp' }, 'UDP works again on this network: the session is back on it');
      if (file) saveTransport(file, key, 'udp', fronts);
    },
  });
  for (let fresh = false; ; fresh = true) {
    const cached = file && !fresh ? loadTransport(file, key) : {};
    const t0 = env.clock.now();
    const pick: TransportPick =
      cached.transport === 'udp' && !o.recheckUdp
        ? { transport: 'udp', ...(cached.fronts ? { fronts: cached.fronts } : {}) }
        : await pickTransport(
            rv,
            cached.transport === 'udp' ? (cached.fronts ? { fronts: cached.fronts } : {}) : cached,
            realProbes(env, o.bind),
          );
    log.info({ transport: pick.transport, cached: cached.transport ?? 'none' }, 'relay transport');
    fronts = pick.fronts;
    const relay: RelayChoice =
      pick.transport === 'udp'
        ? base
        : {
            ...base,
            // UDP is blocked here: no traversal can work; go relayed at once.
            mode: base.mode === 'auto' || base.mode === 'first' ? 'only' : base.mode,
            transport: pick.transport,
            ...(pick.tcp && !base.addr ? { addr: pick.tcp } : {}),
            ...(pick.wsUrl ? { url: pick.wsUrl } : {}),
            ...(o.returnToUdp ? { udpBack: udpBack(base) } : {}),
          };
    try {
      const started = env.clock.now();
      const r = await run(env, relay);
      r.report.transportChosen = 'auto';
      if (pick.transport !== 'udp' || cached.transport === undefined) {
        // The choice is part of the connect: its time counts (steps.transport).
        const choose = Math.round((started - t0) * 10) / 10;
        r.report.steps = { transport: choose, ...r.report.steps };
        r.report.ms = Math.round((r.report.ms + choose) * 10) / 10;
      }
      if (file) saveTransport(file, key, pick.transport, pick.fronts);
      return r;
    } catch (e) {
      const silent = isPortholeError(e, 'unreachable') && e.detail.connectKind === 'no-rendezvous';
      if (fresh || !cached.transport || !silent || !file) throw e;
      forgetTransport(file, key);
      log.info({}, 'the transport remembered for this network no longer works; probing again');
    }
  }
}

function fail(o: ConnectCliOptions, error: string, report: object = {}): never {
  if (o.json) process.stdout.write(JSON.stringify({ error, ...report }) + '\n');
  else process.stderr.write(`porthole: cannot reach home ${o.home ?? ''}: ${error}\n`);
  process.exit(1);
}

/** reachFromCli(), or exit 1 with the error (as {"error":…} under --json). */
export async function connectOrExit(o: ConnectCliOptions, log: Logger): Promise<Reached> {
  try {
    return await reachFromCli(o, log);
  } catch (e) {
    if (isPortholeError(e, 'usage')) die(e.message, 2);
    const report = isPortholeError(e, 'unreachable', 'handshake-failed') ? e.detail.report : {};
    return fail(o, (e as Error).message, report as object);
  }
}

/**
 * Closes what carries a command's channel before the process exits: a relayed session's goodbye
 * (relayClosed) is sent asynchronously, and without it the relay holds the session (and the
 * client IP's session count) until its idle timeout.
 */
export async function closeBeforeExit(r: Reached): Promise<void> {
  const { closeReached } = await import('../client/reach.js');
  closeReached(r);
  if (r.paths) await new Promise((res) => setTimeout(res, 100));
}
