import type { Command } from 'commander';
import { whenBound } from '../net/node-udp.js';
import { realEnv } from '../net/real-env.js';
import type { SocketAddr } from '../net/types.js';
import { RendezvousServer } from '../rendezvous/server.js';
import { formatAddr } from '../wire/addr.js';
import { die, onShutdown } from './lifecycle.js';
import { makeLogger } from './logger.js';
import { intArg, listenArg, type LogLevel } from './parse.js';
import { listenRepeat } from './candidate-args.js';

export function registerRendezvous(program: Command): void {
  program
    .command('rendezvous')
    .description("run the rendezvous (the patent's third-party server) on a public address")
    .option(
      '--listen <HOST:PORT>',
      'UDP address to listen on; repeat for one per family, e.g. 192.0.2.1:7400 and [2001:db8::1]:7400 (default 0.0.0.0:7400)',
      listenRepeat,
    )
    .option(
      '--registration-ttl <MS>',
      'forget a home this long after its last keepalive',
      intArg(1000, 3_600_000),
    )
    .option('--max-homes <N>', 'registered homes at most', intArg(1, 10_000_000))
    .action(
      async (
        opts: { listen?: SocketAddr[]; registrationTtl?: number; maxHomes?: number },
        cmd: Command,
      ) => {
        const { logLevel } = cmd.optsWithGlobals<{ logLevel: LogLevel }>();
        const log = makeLogger(logLevel, 'rendezvous');
        const listen = opts.listen ?? [listenArg('0.0.0.0:7400')];
        const server = new RendezvousServer(realEnv(log), {
          listen,
          registrationTtlMs: opts.registrationTtl,
          maxHomes: opts.maxHomes,
        });
        server.start();
        const bound = await Promise.all(server.endpoints.map((ep) => whenBound(ep))).catch(
          (e: Error) => die(`cannot listen on ${listen.map(formatAddr).join(', ')}: ${e.message}`),
        );
        log.info({ listen: bound.map(formatAddr).join(' ') }, 'rendezvous listening');
        const statsTimer = setInterval(() => log.debug({ stats: server.stats }, 'stats'), 30_000);
        onShutdown(() => {
          clearInterval(statsTimer);
          log.info({ stats: server.stats }, 'rendezvous stopping');
          server.close();
        });
      },
    );
}
