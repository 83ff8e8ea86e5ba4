import { natLearning } from './nat-cache.js';
import type { Command } from 'commander';
import type { Connection } from '../client/connection.js';
import { registerClientPair } from './client-pair-cmd.js';
import {
  closeBeforeExit,
  connectOrExit,
  logFor,
  withConnectOptions,
  type ConnectCliOptions,
} from './connect-options.js';
import { registerClientUp } from './client-up-cmd.js';
import { registerClientForward } from './client-forward-cmd.js';
import { registerDeviceCommands } from './devices-cmd.js';
import { registerInit } from './init-cmd.js';
import { die } from './lifecycle.js';
import { intArg } from './parse.js';

function pingOnce(conn: Connection, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => conn.ping(timeoutMs, resolve));
}

export function registerClient(program: Command): Command {
  const client = program.command('client').description('reach a home from this machine');
  registerInit(client, 'client');
  registerClientPair(client);
  registerDeviceCommands(client);
  registerClientUp(client);
  registerClientForward(client);

  withConnectOptions(
    client
      .command('connect')
      .description('find a path to the home and report how (patent steps 1-5)'),
  ).action(async (o: ConnectCliOptions, cmd: Command) => {
    const r = await connectOrExit(o, logFor(cmd, 'client'));
    const closed = closeBeforeExit(r);
    // A NAT classification that outlived the connect fills the cache for the next one, and the
    // report's clientNat (its ms are the connect's, taken before).
    await Promise.all([natLearning.idle(3000), closed]);
    const report = natLearning.complete(r.report);
    if (o.json) process.stdout.write(JSON.stringify({ ...report, secure: r.secure }) + '\n');
    else {
      const s = report;
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
        const conn = r.connection;
        if (!conn) die('ping needs a punched or direct path (this one is relayed)');
        const rtts: number[] = [];
        let lost = 0;
        if (!o.json)
          process.stdout.write(
            `connected: ${r.report.path} to ${r.report.home} in ${r.report.ms} ms\n`,
          );
        for (let i = 0; i < o.count; i++) {
          const rtt = await pingOnce(conn, o.timeout);
          if (rtt === undefined) lost++;
          else rtts.push(rtt);
          if (!o.json) {
            process.stdout.write(
              rtt === undefined ? `seq=${i} timeout\n` : `seq=${i} rtt=${rtt.toFixed(3)} ms\n`,
            );
          }
          if (i + 1 < o.count) await new Promise((res) => setTimeout(res, o.interval));
        }
        conn.close();
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
