import type { Command } from 'commander';
import { connectAsync, type ConnectOptions, type ConnectResult } from '../client/connector.js';
import type { Connection } from '../client/connection.js';
import { realEnv } from '../net/real-env.js';
import type { Logger, SocketAddr } from '../net/types.js';
import { makeLogger } from './logger.js';
import { addrArg, homeIdArg, intArg, ipArg, type LogLevel } from './parse.js';

export interface ConnectCliOptions {
  home: string;
  rendezvous: SocketAddr;
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
    .requiredOption('--rendezvous <HOST:PORT>', 'the rendezvous address', addrArg)
    .option('--direct <HOST:PORT>', 'try this home address directly first (step 1)', addrArg)
    .option('--bind <IP>', "local IP for the client's sockets", ipArg)
    .option('--sockets <M>', 'M: extra sockets probing the home (patent: 500)', intArg(0, 5000))
    .option('--probes <K>', "probes from the first socket to the home's mapped port", intArg(1, 50))
    .option('--rounds <R>', 'assisted rounds before giving up', intArg(1, 20))
    .option('--punch-timeout <MS>', "wait for the home's answer per round", intArg(50, 60_000))
    .option('--force-assist', 'skip the direct step even with --direct')
    .option('--json', 'machine-readable output: one JSON line on stdout');
}

export function toConnectOptions(o: ConnectCliOptions): ConnectOptions {
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

/** Connects or exits 1 with the error (as {"error":…} under --json). */
export async function connectOrExit(
  o: ConnectCliOptions,
  log: Logger,
  extra: Partial<ConnectOptions> = {},
): Promise<Extract<ConnectResult, { ok: true }>> {
  const r = await connectAsync(realEnv(log), { ...toConnectOptions(o), ...extra });
  if (!r.ok) {
    if (o.json) process.stdout.write(JSON.stringify({ error: r.error, ...r.report }) + '\n');
    else process.stderr.write(`porthole: cannot reach home ${o.home}: ${r.error}\n`);
    process.exit(1);
  }
  return r;
}

function pingOnce(conn: Connection, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => conn.ping(timeoutMs, resolve));
}

export function registerClient(program: Command): Command {
  const client = program.command('client').description('reach a home from this machine');

  withConnectOptions(
    client
      .command('connect')
      .description('find a path to the home and report how (patent steps 1-5)'),
  ).action(async (o: ConnectCliOptions, cmd: Command) => {
    const r = await connectOrExit(o, logFor(cmd, 'client'));
    r.connection.close();
    if (o.json) process.stdout.write(JSON.stringify(r.report) + '\n');
    else {
      const s = r.report;
      process.stdout.write(
        `connected: ${s.path} to ${s.home} in ${s.ms} ms (round ${s.attempts}, ` +
          `${s.packetsSent} packets, ${s.socketsOpened} sockets)\n`,
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
