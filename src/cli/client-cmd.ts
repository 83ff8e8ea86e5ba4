import type { Command } from 'commander';
import { connectAsync, type ConnectOptions, type ConnectResult } from '../client/connector.js';
import type { Connection } from '../client/connection.js';
import { realEnv } from '../net/real-env.js';
import type { Logger, SocketAddr } from '../net/types.js';
import type { MessageChannel } from '../net/channel.js';
import { clientTrust, openSecureChannel } from '../secure/client-trust.js';
import { findHome, loadState } from '../secure/state.js';
import { parseAddr } from '../wire/addr.js';
import { registerClientPair } from './client-pair-cmd.js';
import { registerDeviceCommands } from './devices-cmd.js';
import { registerInit } from './home-trust-cmd.js';
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
}

/** The options every command that reaches a home shares. */
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
    .option('--json', 'machine-readable output: one JSON line on stdout');
}

export function toConnectOptions(
  o: ConnectCliOptions & { rendezvous: SocketAddr },
): ConnectOptions {
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

function logFor(cmd: Command, role: string): Logger {
  const { logLevel } = cmd.optsWithGlobals<{ logLevel: LogLevel }>();
  return makeLogger(logLevel, role);
}

export type Reached = Extract<ConnectResult, { ok: true }> & {
  /** Where application messages go: the Noise channel with --state, else the plain path. */
  channel: MessageChannel;
  secure: boolean;
};

function fail(o: ConnectCliOptions, error: string, report: object = {}): never {
  if (o.json) process.stdout.write(JSON.stringify({ error, ...report }) + '\n');
  else process.stderr.write(`porthole: cannot reach home ${o.home}: ${error}\n`);
  process.exit(1);
}

export class ReachError extends Error {
  override name = 'ReachError';
  constructor(
    message: string,
    readonly report: object = {},
    /** 2: the command line was incomplete; 1: the network or the home said no. */
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

/** Connects (and with --state, authenticates and encrypts); throws ReachError. */
export async function reach(
  o: ConnectCliOptions,
  log: Logger,
  extra: Partial<ConnectOptions> = {},
): Promise<Reached> {
  const env = realEnv(log);
  let secure:
    { identity: ReturnType<typeof loadState>['identity']; homeDh: Uint8Array } | undefined;
  let rendezvous = o.rendezvous;
  if (o.state) {
    try {
      const state = loadState(o.state, 'client');
      const home = findHome(o.state, o.home);
      rendezvous ??= parseAddr(home.rendezvous);
      secure = {
        identity: state.identity,
        homeDh: new Uint8Array(Buffer.from(home.dhPublic, 'base64url')),
      };
    } catch (e) {
      throw new ReachError((e as Error).message);
    }
  }
  if (!rendezvous)
    throw new ReachError("error: required option '--rendezvous <HOST:PORT>' not specified", {}, 2);
  const r = await connectAsync(env, {
    ...toConnectOptions({ ...o, rendezvous }),
    ...(secure ? { trust: clientTrust(secure.identity) } : {}),
    ...extra,
  });
  if (!r.ok) throw new ReachError(r.error, r.report);
  if (!secure) return { ...r, channel: r.connection, secure: false };
  const started = performance.now();
  try {
    const channel = await openSecureChannel(
      r.connection,
      secure.identity,
      secure.homeDh,
      env.clock,
    );
    r.report.steps.secure = Math.round((performance.now() - started) * 10) / 10;
    return { ...r, channel, secure: true };
  } catch (e) {
    r.connection.close();
    throw new ReachError((e as Error).message, r.report);
  }
}

/** reach(), or exit with the error (as {"error":…} under --json). */
export async function connectOrExit(
  o: ConnectCliOptions,
  log: Logger,
  extra: Partial<ConnectOptions> = {},
): Promise<Reached> {
  try {
    return await reach(o, log, extra);
  } catch (e) {
    if (e instanceof ReachError && e.exitCode === 2) {
      process.stderr.write(`porthole: ${e.message}\n`);
      process.exit(2);
    }
    return fail(o, (e as Error).message, e instanceof ReachError ? e.report : {});
  }
}

function pingOnce(conn: Connection, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => conn.ping(timeoutMs, resolve));
}

export function registerClient(program: Command): Command {
  const client = program.command('client').description('reach a home from this machine');
  registerInit(client, 'client');
  registerClientPair(client);
  registerDeviceCommands(client);

  withConnectOptions(
    client
      .command('connect')
      .description('find a path to the home and report how (patent steps 1-5)'),
  ).action(async (o: ConnectCliOptions, cmd: Command) => {
    const r = await connectOrExit(o, logFor(cmd, 'client'));
    r.connection.close();
    if (o.json) process.stdout.write(JSON.stringify({ ...r.report, secure: r.secure }) + '\n');
    else {
      const s = r.report;
      process.stdout.write(
        `connected: ${s.path} to ${s.home} in ${s.ms} ms (round ${s.attempts}, ` +
          `${s.packetsSent} packets, ${s.socketsOpened} sockets)` +
          `${r.secure ? ', end-to-end encrypted' : ''}\n`,
      );
    }
    process.exit(0);
  });

  withConnectOptions(
    client
      .command('ping')
      .description('connect, then time request/reply round trips over the path'),
  )
    .option('--count <N>', 'round trips', intArg(1, 100_000), 5)
    .option('--interval <MS>', 'pause between round trips', intArg(0, 60_000), 200)
    .option('--timeout <MS>', 'per round trip', intArg(10, 60_000), 1000)
    .action(
      async (
        o: ConnectCliOptions & { count: number; interval: number; timeout: number },
        cmd: Command,
      ) => {
        const r = await connectOrExit(o, logFor(cmd, 'client'));
        const rtts: number[] = [];
        let lost = 0;
        if (!o.json)
          process.stdout.write(
            `connected: ${r.report.path} to ${r.report.home} in ${r.report.ms} ms\n`,
          );
        for (let i = 0; i < o.count; i++) {
          const rtt = await pingOnce(r.connection, o.timeout);
          if (rtt === undefined) lost++;
          else rtts.push(rtt);
          if (!o.json) {
            process.stdout.write(
              rtt === undefined ? `seq=${i} timeout\n` : `seq=${i} rtt=${rtt.toFixed(3)} ms\n`,
            );
          }
          if (i + 1 < o.count) await new Promise((res) => setTimeout(res, o.interval));
        }
        r.connection.close();
        const sorted = [...rtts].sort((a, b) => a - b);
        const summary = {
          ...r.report,
          count: o.count,
          lost,
          rttMinMs: round3(sorted[0]),
          rttAvgMs: round3(rtts.length ? rtts.reduce((a, b) => a + b, 0) / rtts.length : undefined),
          rttMaxMs: round3(sorted[sorted.length - 1]),
        };
        if (o.json) process.stdout.write(JSON.stringify(summary) + '\n');
        else {
          process.stdout.write(
            `${o.count} round trips, ${lost} lost; rtt min/avg/max = ` +
              `${summary.rttMinMs ?? '-'}/${summary.rttAvgMs ?? '-'}/${summary.rttMaxMs ?? '-'} ms\n`,
          );
        }
        process.exit(lost === o.count ? 1 : 0);
      },
    );
  return client;
}

function round3(n: number | undefined): number | undefined {
  return n === undefined ? undefined : Math.round(n * 1000) / 1000;
}
