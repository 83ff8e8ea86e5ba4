// `porthole relay`: the relay as its own role (issue 10) on its own host and port. Homes register
// with it when their rendezvous names it (`porthole rendezvous --relay-node HOST:PORT`); clients
// are redirected to it by the rendezvous. UDP always; TCP and WebSocket fronts on request.
import type { Command } from 'commander';
import type { SocketAddr } from '../net/types.js';
import { formatAddr } from '../wire/addr.js';
import { die, onReload, onShutdown } from './lifecycle.js';
import { makeLogger } from './logger.js';
import { addrArg, intArg, listenArg, type LogLevel } from './parse.js';

interface RelayCmdOpts {
  listen?: SocketAddr;
  advertise?: SocketAddr;
  tcp?: number;
  ws?: number;
  metrics?: SocketAddr;
  maxBytes?: number;
  relayHomeRate?: number;
  maxSeconds?: number;
  maxSessions?: number;
  registrationTtl?: number;
  requireSigned?: boolean;
}

/** `--relay-home-rate`: the per-home bucket, its burst 16 s of the rate (docs/seams.md §8). */
export function homeRate(rate: number | undefined): {
  homeBytesPerSec?: number;
  homeBurstBytes?: number;
} {
  return rate ? { homeBytesPerSec: rate, homeBurstBytes: rate * 16 } : {};
}

export function registerRelay(program: Command): void {
  program
    .command('relay')
    .description(
      'run a relay on its own (for clients that cannot punch); name it to the rendezvous with ' +
        '`porthole rendezvous --relay-node HOST:PORT`',
    )
    .option(
      '--listen <HOST:PORT>',
      'UDP address homes and clients reach it on (default 0.0.0.0:7410)',
      listenArg,
    )
    .option(
      '--advertise <HOST:PORT>',
      'its public UDP address when it does not see it (behind a 1:1 NAT); homes bind their ' +
        'registrations to the address they send to',
      addrArg,
    )
    .option('--tcp <PORT>', 'also relay for clients over TCP on this port', intArg(1, 65535))
    .option(
      '--ws <PORT>',
      'also relay over WebSocket on this port, path /porthole',
      intArg(1, 65535),
    )
    .option(
      '--metrics <HOST:PORT>',
      'serve /metrics, /healthz and /readyz over HTTP here (off by default)',
      listenArg,
    )
    .option(
      '--relay-home-rate <BYTES_PER_S>',
      'relayed bytes per second per home, all its sessions (default 1048576; burst 16x)',
      intArg(1024, 2 ** 40),
    )
    .option(
      '--max-bytes <N>',
      'also cap the bytes of each relayed session (off by default: the per-home rate applies)',
      intArg(1024, 2 ** 40),
    )
    .option('--max-seconds <S>', 'lifetime of a relayed session (default 3600)', intArg(1, 86_400))
    .option('--max-sessions <N>', 'relayed sessions at once (default 10000)', intArg(1, 1_000_000))
    .option(
      '--registration-ttl <MS>',
      'forget a home this long after its last keepalive (default 90000)',
      intArg(1000, 3_600_000),
    )
    .option('--require-signed', 'accept only signed homes (porthole home --state)')
    .action(async (opts: RelayCmdOpts, cmd: Command) => {
      const { logLevel } = cmd.optsWithGlobals<{ logLevel: LogLevel }>();
      const log = makeLogger(logLevel, 'relay');
      // The relay's parts load when it runs, not for --help.
      const [{ whenBound }, { realEnv }, { RelayNode }, { startRelayFronts }] = await Promise.all([
        import('../net/node-udp.js'),
        import('../net/real-env.js'),
        import('../rendezvous/relay-node.js'),
        import('./relay-fronts.js'),
      ]);
      const env = realEnv(log);
      const listen = opts.listen ?? listenArg('0.0.0.0:7410');
      const ops = opts.metrics
        ? await (
            await import('../ops/serve.js')
          )
            .serveRoleMetrics('relay', opts.metrics, () => ({
              ready: true,
              detail: 'ready',
            }))
            .catch((e: Error) =>
              die(`cannot serve metrics on ${formatAddr(opts.metrics!)}: ${e.message}`),
            )
        : undefined;
      const node = new RelayNode(env, {
        listen,
        ...(opts.advertise ? { advertise: opts.advertise } : {}),
        metrics: ops?.metrics.relay,
        registrationTtlMs: opts.registrationTtl,
        requireSigned: opts.requireSigned,
        ...(opts.maxBytes ? { maxSessionBytes: opts.maxBytes } : {}),
        ...homeRate(opts.relayHomeRate),
        ...(opts.maxSeconds ? { maxSessionMs: opts.maxSeconds * 1000 } : {}),
        ...(opts.maxSessions ? { maxSessions: opts.maxSessions } : {}),
      });
      const core = node.start();
      const bound = await whenBound(node.endpoint!).catch((e: Error) =>
        die(`cannot listen on ${formatAddr(listen)}: ${e.message}`),
      );
      log.info(
        { listen: formatAddr(bound), metrics: ops ? formatAddr(ops.address) : 'off' },
        'relay listening',
      );
      const fronts = await startRelayFronts(
        core,
        { relayTcp: opts.tcp, relayWs: opts.ws },
        bound.ip,
        log,
      );
      const statsTimer = setInterval(() => log.debug({ stats: node.stats }, 'stats'), 30_000);
      onReload(() => {
        log.info({}, 'SIGHUP: the relay has no config file to re-read; restart to change flags');
        return Promise.resolve();
      });
      onShutdown(() => {
        clearInterval(statsTimer);
        log.info({ stats: node.stats }, 'relay stopping');
        void fronts.close();
        node.close();
        void ops?.close();
      });
    });
}
