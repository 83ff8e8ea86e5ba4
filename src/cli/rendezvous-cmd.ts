import type { Command } from 'commander';
import { whenBound } from '../net/node-udp.js';
import { realEnv } from '../net/real-env.js';
import type { SocketAddr } from '../net/types.js';
import { RendezvousServer } from '../rendezvous/server.js';
import { formatAddr } from '../wire/addr.js';
import { die, onShutdown } from './lifecycle.js';
import { makeLogger } from './logger.js';
import { intArg, ipArg, listenArg, type LogLevel } from './parse.js';
import type { StunServerConfig } from '../discovery/stun-responder.js';

/** STUN beside the rendezvous (issue 9): its port, the alternate port, the alternate IP. */
function stunConfig(o: {
  listen: SocketAddr;
  stunAltPort?: number;
  altIp?: string;
  stun?: boolean;
}): { stun?: StunServerConfig } {
  if (o.stun === false) return {};
  const alt = o.stunAltPort ?? (o.listen.port > 0 && o.listen.port < 65535 ? o.listen.port + 1 : 0);
  const ports: StunServerConfig['ports'] = alt > 0 ? [o.listen.port, alt] : [o.listen.port];
  const ips: StunServerConfig['ips'] = o.altIp ? [o.listen.ip, o.altIp] : [o.listen.ip];
  return { stun: { ips, ports } };
}

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
      '--stun-alt-port <P>',
      'second port for the RFC 5780 NAT tests (default: listen port + 1; 0: main port only)',
      intArg(0, 65535),
    )
    .option(
      '--alt-ip <IP>',
      'second IP of this host for the RFC 5780 tests (tells address-dependent NATs apart)',
      ipArg,
    )
    .option('--no-stun', "don't answer STUN (clients and homes then skip NAT discovery)")
    .action(
      async (
        opts: {
          listen: SocketAddr;
          registrationTtl?: number;
          maxHomes?: number;
          stunAltPort?: number;
          altIp?: string;
          stun?: boolean;
        },
        cmd: Command,
      ) => {
        const { logLevel } = cmd.optsWithGlobals<{ logLevel: LogLevel }>();
        const log = makeLogger(logLevel, 'rendezvous');
        const server = new RendezvousServer(realEnv(log), {
          listen: opts.listen,
          registrationTtlMs: opts.registrationTtl,
          maxHomes: opts.maxHomes,
          ...stunConfig(opts),
        });
        server.start();
        const bound = await whenBound(server.endpoint!).catch((e: Error) =>
          die(`cannot listen on ${formatAddr(opts.listen)}: ${e.message}`),
        );
        log.info({ listen: formatAddr(bound) }, 'rendezvous listening');
        const statsTimer = setInterval(() => log.debug({ stats: server.stats }, 'stats'), 30_000);
        onShutdown(() => {
          clearInterval(statsTimer);
          log.info({ stats: server.stats }, 'rendezvous stopping');
          server.close();
        });
      },
    );
}
