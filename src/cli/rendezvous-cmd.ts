import type { Command } from 'commander';
import { whenBound } from '../net/node-udp.js';
import { realEnv } from '../net/real-env.js';
import type { SocketAddr } from '../net/types.js';
import { RendezvousServer } from '../rendezvous/server.js';
import { startRelayFronts } from './relay-fronts.js';
import { formatAddr } from '../wire/addr.js';
import { die, onShutdown } from './lifecycle.js';
import { makeLogger } from './logger.js';
import { intArg, listenArg, type LogLevel } from './parse.js';

export function registerRendezvous(program: Command): void {
  program
    .command('rendezvous')
    .description("run the rendezvous (the patent's third-party server) on a public address")
    .option(
      '--listen <HOST:PORT>',
      'UDP address to listen on',
      listenArg,
      listenArg('0.0.0.0:7400'),
    )
    .option(
      '--registration-ttl <MS>',
      'forget a home this long after its last keepalive',
      intArg(1000, 3_600_000),
    )
    .option('--max-homes <N>', 'registered homes at most', intArg(1, 10_000_000))
    .option(
      '--no-relay',
      'do not relay sessions for clients that cannot punch (on by default, UDP)',
    )
    .option(
      '--relay-tcp <PORT>',
      'also relay for clients over TCP on this port (off by default)',
      intArg(1, 65535),
    )
    .option(
      '--relay-ws <PORT>',
      'also relay over WebSocket on this port, path /porthole (off by default)',
      intArg(1, 65535),
    )
    .option(
      '--relay-max-bytes <N>',
      'bytes per relayed session (default 4 MiB)',
      intArg(1024, 2 ** 40),
    )
    .action(
      async (
        opts: {
          listen: SocketAddr;
          registrationTtl?: number;
          maxHomes?: number;
          relay: boolean;
          relayTcp?: number;
          relayWs?: number;
          relayMaxBytes?: number;
        },
        cmd: Command,
      ) => {
        const { logLevel } = cmd.optsWithGlobals<{ logLevel: LogLevel }>();
        const log = makeLogger(logLevel, 'rendezvous');
        const server = new RendezvousServer(realEnv(log), {
          listen: opts.listen,
          registrationTtlMs: opts.registrationTtl,
          maxHomes: opts.maxHomes,
          relay: opts.relay
            ? opts.relayMaxBytes
              ? { maxSessionBytes: opts.relayMaxBytes }
              : {}
            : false,
        });
        server.start();
        const bound = await whenBound(server.endpoint!).catch((e: Error) =>
          die(`cannot listen on ${formatAddr(opts.listen)}: ${e.message}`),
        );
        log.info({ listen: formatAddr(bound) }, 'rendezvous listening');
        const fronts = await startRelayFronts(server.relay, opts, bound.ip, log);
        const statsTimer = setInterval(() => log.debug({ stats: server.stats }, 'stats'), 30_000);
        onShutdown(() => {
          clearInterval(statsTimer);
          log.info({ stats: server.stats }, 'rendezvous stopping');
          void fronts.close();
          server.close();
        });
      },
    );
}
