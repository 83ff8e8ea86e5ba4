import type { Command } from 'commander';
import { networkInterfaces } from 'node:os';
import { HomeAgent } from '../home/agent.js';
import { whenBound } from '../net/node-udp.js';
import { realEnv } from '../net/real-env.js';
import type { SocketAddr } from '../net/types.js';
import { formatAddr } from '../wire/addr.js';
import { die, onShutdown } from './lifecycle.js';
import { makeLogger } from './logger.js';
import { addrArg, homeIdArg, intArg, listenArg, sprayTtlArg, type LogLevel } from './parse.js';

interface HomeCliOptions {
  id: string;
  rendezvous: SocketAddr;
  listen: SocketAddr;
  spray?: number;
  sprayTtl: number | 'auto' | 'os';
  keepalive?: number;
}

export function registerHome(program: Command): Command {
  const home = program
    .command('home')
    .description(
      'run the home agent beside the smart-home hub (registers with the rendezvous, answers clients)',
    )
    .requiredOption('--id <ID>', "this home's id (1-64 of A-Z a-z 0-9 . _ -)", homeIdArg)
    .requiredOption('--rendezvous <HOST:PORT>', 'the rendezvous address', addrArg)
    .option(
      '--listen <HOST:PORT>',
      'local UDP address (port 0 = any)',
      listenArg,
      listenArg('0.0.0.0:0'),
    )
    .option(
      '--spray <N>',
      "N: ports of the client's IP sprayed per assist (patent: 500)",
      intArg(0, 20_000),
    )
    .option(
      '--spray-ttl <T>',
      "IP TTL of hole-opening packets: 1-255, 'auto' (hop distance to the rendezvous minus 1) or 'os'",
      sprayTtlArg,
      'auto',
    )
    .option('--keepalive <MS>', 'keepalive period towards the rendezvous', intArg(1000, 600_000))
    .action(async (opts: HomeCliOptions, cmd: Command) => {
      const { logLevel } = cmd.optsWithGlobals<{ logLevel: LogLevel }>();
      const log = makeLogger(logLevel, 'home');
      const agent = new HomeAgent(realEnv(log), {
        id: opts.id,
        rendezvous: opts.rendezvous,
        listen: opts.listen,
        spray: opts.spray,
        sprayTtl: opts.sprayTtl,
        keepaliveMs: opts.keepalive,
        localIps: lanIps(opts.listen.ip),
      });
      agent.start();
      const bound = await whenBound(agent.endpoint!).catch((e: Error) =>
        die(`cannot listen on ${formatAddr(opts.listen)}: ${e.message}`),
      );
      log.info(
        { id: opts.id, listen: formatAddr(bound), rendezvous: formatAddr(opts.rendezvous) },
        'home agent started',
      );
      onShutdown(() => {
        log.info({ stats: agent.stats }, 'home agent stopping');
        agent.close();
      });
    });
  return home;
}

/** The LAN IPv4 addresses clients on the same network can use: the bound one, or every interface's. */
function lanIps(boundIp: string): string[] {
  if (boundIp !== '0.0.0.0') return [boundIp];
  return Object.values(networkInterfaces())
    .flat()
    .filter((i) => i !== undefined && i.family === 'IPv4' && !i.internal)
    .map((i) => i!.address);
}
