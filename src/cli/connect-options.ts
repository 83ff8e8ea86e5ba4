// The options every command that reaches a home shares, and turning them into a reach().
import { Option, type Command } from 'commander';
import type { RelayChoice, RelayMode, RelayTransport } from '../client/relay-choice.js';
import type { ConnectOptions } from '../client/connector.js';
import { loadPairedHome, reach, type PairedHome, type Reached } from '../client/reach.js';
import { isPortholeError, PortholeError } from '../errors.js';
import { realEnv } from '../net/real-env.js';
import type { Logger, SocketAddr } from '../net/types.js';
import { die } from './lifecycle.js';
import { makeLogger } from './logger.js';
import { addrArg, homeIdArg, intArg, ipArg, type LogLevel } from './parse.js';

export interface ConnectCliOptions {
  home: string;
  /** Required without --state; with it, defaults to the rendezvous stored at pairing. */
  rendezvous?: SocketAddr;
  state?: string;
  direct?: SocketAddr;
  bind?: string;
  sockets?: number;
  probes?: number;
  rounds?: number;
  punchTimeout?: number;
  forceAssist?: boolean;
  json?: boolean;
  relay?: RelayMode;
  relayTransport?: RelayTransport;
  relayAddr?: SocketAddr;
}

export function withConnectOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--home <ID>', "the home's id", homeIdArg)
    .option(
      '--state <DIR>',
      'client state dir (paired homes): signed requests and an encrypted channel',
    )
    .option(
      '--rendezvous <HOST:PORT>',
      'the rendezvous address (default with --state: from pairing)',
      addrArg,
    )
    .option('--direct <HOST:PORT>', 'try this home address directly first (step 1)', addrArg)
    .option('--bind <IP>', "local IP for the client's sockets", ipArg)
    .option('--sockets <M>', 'M: extra sockets probing the home (patent: 500)', intArg(0, 5000))
    .option('--probes <K>', "probes from the first socket to the home's mapped port", intArg(1, 50))
    .option('--rounds <R>', 'assisted rounds before giving up', intArg(1, 20))
    .option('--punch-timeout <MS>', "wait for the home's answer per round", intArg(50, 60_000))
    .option('--force-assist', 'skip the direct step even with --direct')
    .option('--json', 'machine-readable output: one JSON line on stdout')
    .addOption(
      new Option(
        '--relay <MODE>',
        'relay through the rendezvous: auto (when punching fails), off, only',
      )
        .choices(['auto', 'off', 'only'])
        .default('auto'),
    )
    .addOption(
      new Option('--relay-transport <T>', 'how to reach the relay (tcp/ws where UDP is blocked)')
        .choices(['udp', 'tcp', 'ws'])
        .default('udp'),
    )
    .option(
      '--relay-addr <HOST:PORT>',
      "the relay's address for --relay-transport (default: the rendezvous address)",
      addrArg,
    );
}

function toConnectOptions(o: ConnectCliOptions & { rendezvous: SocketAddr }): ConnectOptions {
  return {
    home: o.home,
    rendezvous: o.rendezvous,
    direct: o.direct,
    bindIp: o.bind,
    sockets: o.sockets,
    probes: o.probes,
    rounds: o.rounds,
    punchTimeoutMs: o.punchTimeout,
    forceAssist: o.forceAssist,
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

/** Where `o` says to go: the paired home from --state (StateError), and the rendezvous. */
function resolveTarget(o: ConnectCliOptions): { paired?: PairedHome; rendezvous: SocketAddr } {
  const paired = o.state ? loadPairedHome(o.state, o.home) : undefined;
  const rendezvous = o.rendezvous ?? paired?.rendezvous;
  if (!rendezvous) throw usageError("required option '--rendezvous <HOST:PORT>' not specified");
  return { ...(paired ? { paired } : {}), rendezvous };
}

/** reach() with the command line's options; rejects with a usage, state or reach PortholeError. */
export async function reachFromCli(o: ConnectCliOptions, log: Logger): Promise<Reached> {
  const { paired, rendezvous } = resolveTarget(o);
  const relay: RelayChoice = {
    mode: o.relay ?? 'auto',
    transport: o.relayTransport ?? 'udp',
    ...(o.relayAddr ? { addr: o.relayAddr } : {}),
  };
  return reach(realEnv(log), toConnectOptions({ ...o, rendezvous }), paired, relay);
}

function fail(o: ConnectCliOptions, error: string, report: object = {}): never {
  if (o.json) process.stdout.write(JSON.stringify({ error, ...report }) + '\n');
  else process.stderr.write(`porthole: cannot reach home ${o.home}: ${error}\n`);
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
