import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { hostname } from 'node:os';
import type { SocketAddr } from '../net/types.js';
import type { ClusterNode } from '../rendezvous/cluster/node.js';
// Node ids share the home id alphabet (rendezvous/cluster/validate.ts: NODE_ID_PATTERN); the
// leaf module keeps the wire codec out of `--help`.
import { HOME_ID_PATTERN as NODE_ID_PATTERN } from '../wire/limits.js';
import { homeRate } from './relay-cmd.js';
import { addWebOptions, appUrlOf, type WebCmdOpts } from './web-options.js';
import { formatAddr } from '../wire/addr.js';
import { die, onReload, onShutdown } from './lifecycle.js';
import { makeLogger } from './logger.js';
import { addrArg, intArg, ipArg, listenArg, type LogLevel } from './parse.js';
import type { StunServerConfig } from '../discovery/stun-responder.js';

interface RendezvousCmdOpts extends WebCmdOpts {
  listen?: SocketAddr[];
  registrationTtl?: number;
  maxHomes?: number;
  cluster?: string;
  nodeId?: string;
  advertise?: SocketAddr;
  metrics?: SocketAddr;
  stunAltPort?: number;
  altIp?: string;
  stun?: boolean;
  relay: boolean;
  relayTcp?: number;
  relayWs?: number;
  relayMaxBytes?: number;
  relayHomeRate?: number;
  relayNode?: SocketAddr;
  relayNodeTcp?: number;
  relayNodeWs?: number;
}

function redisUrlArg(text: string): string {
  if (!/^rediss?:\/\/[^\s]+$/.test(text))
    throw new InvalidArgumentError(`"${text}" is not a redis URL (redis://HOST:PORT)`);
  return text;
}

function nodeIdArg(text: string): string {
  if (!NODE_ID_PATTERN.test(text))
    throw new InvalidArgumentError(`"${text}" is not a node id (1-64 of A-Z a-z 0-9 . _ -)`);
  return text;
}
import { listenRepeat } from './candidate-args.js';

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
  addWebOptions(program.command('rendezvous'))
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
    .option(
      '--cluster <URL>',
      'cluster mode: share the home directory with the other nodes through this Redis or Valkey ' +
        '(redis://[:PASSWORD@]HOST:PORT); assists for homes held elsewhere are forwarded; ' +
        'while it is unreachable the node serves its own homes and /readyz says degraded',
      redisUrlArg,
    )
    .option(
      '--node-id <ID>',
      'this node in the cluster, unique, 1-64 of A-Z a-z 0-9 . _ - (default: hostname-port)',
      nodeIdArg,
    )
    .option(
      '--advertise <HOST:PORT>',
      "public UDP address of this node, told to the other nodes and bound into the homes' " +
        'registrations (default: --listen unless 0.0.0.0)',
      addrArg,
    )
    .option(
      '--metrics <HOST:PORT>',
      'serve /metrics, /healthz and /readyz over HTTP here (off by default)',
      listenArg,
    )
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
      '--relay-home-rate <BYTES_PER_S>',
      'relayed bytes per second per home, all its sessions (default 1048576; burst 16x)',
      intArg(1024, 2 ** 40),
    )
    .option(
      '--relay-max-bytes <N>',
      'also cap the bytes of each relayed session (off by default: the per-home rate applies)',
      intArg(1024, 2 ** 40),
    )
    .option(
      '--relay-node <HOST:PORT>',
      'relay through a separate `porthole relay` at this UDP address: homes are told to ' +
        'register with it too, clients asking this node to relay are redirected to it',
      addrArg,
    )
    .option('--relay-node-tcp <PORT>', "the relay node's TCP port (its --tcp)", intArg(1, 65535))
    .option(
      '--relay-node-ws <PORT>',
      "the relay node's WebSocket port (its --ws)",
      intArg(1, 65535),
    )
    .action(async (opts: RendezvousCmdOpts, cmd: Command) => {
      if (opts.relayNode && !opts.relay) die('--relay-node needs the relay (drop --no-relay)', 2);
      const { logLevel } = cmd.optsWithGlobals<{ logLevel: LogLevel }>();
      const log = makeLogger(logLevel, 'rendezvous');
      // The server's parts load when it runs (Redis only with --cluster, prom-client and the HTTP
      // endpoint only with --metrics), not for --help.
      const [{ whenBound }, { realEnv }, { DEFAULT_RENDEZVOUS, RendezvousServer }, fronts_] =
        await Promise.all([
          import('../net/node-udp.js'),
          import('../net/real-env.js'),
          import('../rendezvous/server.js'),
          import('./relay-fronts.js'),
        ]);
      const env = realEnv(log);
      const metrics = opts.metrics
        ? (await import('../ops/prom.js')).createMetrics('rendezvous')
        : undefined;
      const listen = opts.listen ?? [listenArg('0.0.0.0:7400')];
      const first = listen[0] as SocketAddr;
      const ttl = opts.registrationTtl ?? DEFAULT_RENDEZVOUS.registrationTtlMs;
      let cluster: ClusterNode | undefined;
      if (opts.cluster) {
        const advertise =
          opts.advertise ??
          (first.ip !== '0.0.0.0' && first.ip !== '::' && first.port ? first : undefined);
        if (!advertise)
          die('--cluster needs --advertise HOST:PORT when --listen is 0.0.0.0 or port 0', 2);
        const nodeId =
          opts.nodeId ??
          `${hostname()
            .replace(/[^A-Za-z0-9._-]/g, '-')
            .slice(0, 50)}-${first.port}`;
        const { ClusterNode } = await import('../rendezvous/cluster/node.js');
        cluster = new ClusterNode(env, {
          redisUrl: opts.cluster,
          nodeId,
          advertise,
          registrationTtlMs: ttl,
          sessionTtlMs: DEFAULT_RENDEZVOUS.sessionTtlMs,
          metrics: metrics?.cluster,
          rendezvousMetrics: metrics?.rendezvous,
        });
      }
      const server = new RendezvousServer(env, {
        listen,
        ...(opts.advertise ? { advertise: opts.advertise } : {}),
        registrationTtlMs: ttl,
        maxHomes: opts.maxHomes,
        cluster,
        metrics: metrics?.rendezvous,
        ...stunConfig({ ...opts, listen: first }),
        relay: opts.relay
          ? {
              ...(opts.relayMaxBytes ? { maxSessionBytes: opts.relayMaxBytes } : {}),
              ...homeRate(opts.relayHomeRate),
            }
          : false,
        relayFrontPorts: { tcpPort: opts.relayTcp ?? 0, wsPort: opts.relayWs ?? 0 },
        appUrl: appUrlOf(opts),
        ...(opts.relayNode
          ? {
              relayNode: {
                relay: opts.relayNode,
                tcpPort: opts.relayNodeTcp ?? 0,
                wsPort: opts.relayNodeWs ?? 0,
              },
            }
          : {}),
      });
      server.start();
      const bound = await Promise.all(server.endpoints.map((ep) => whenBound(ep))).catch(
        (e: Error) => die(`cannot listen on ${listen.map(formatAddr).join(', ')}: ${e.message}`),
      );
      cluster?.start(server);
      metrics?.rendezvous.observe(() => server.stats);
      const ops =
        metrics && opts.metrics
          ? await (
              await import('../ops/http.js')
            )
              .startOpsServer(opts.metrics, {
                metrics: () => metrics.text(),
                contentType: metrics.contentType,
                readiness: () => cluster?.readiness() ?? { ready: true, detail: 'ready' },
              })
              .catch((e: Error) =>
                die(`cannot serve metrics on ${formatAddr(opts.metrics!)}: ${e.message}`),
              )
          : undefined;
      log.info(
        {
          listen: bound.map(formatAddr).join(' '),
          cluster: opts.cluster ? 'on' : 'off',
          metrics: ops ? formatAddr(ops.address) : 'off',
          relayNode: opts.relayNode ? formatAddr(opts.relayNode) : 'none',
        },
        'rendezvous listening',
      );
      const fronts = await fronts_.startRelayFronts(server.relay, opts, bound[0]!.ip, log);
      const { startWebFromOptions } = await import('./web-front.js');
      const web = await startWebFromOptions(server.relay, opts, log);
      const statsTimer = setInterval(() => log.debug({ stats: server.stats }, 'stats'), 30_000);
      // Its state is the homes it holds: a SIGHUP must not drop them (flags need a restart).
      onReload(() => {
        log.info(
          {},
          'SIGHUP: the rendezvous has no config file to re-read; restart to change flags',
        );
        return Promise.resolve();
      });
      onShutdown(() => {
        clearInterval(statsTimer);
        log.info({ stats: server.stats }, 'rendezvous stopping');
        void fronts.close();
        void web.close();
        server.close();
        void ops?.close();
        void cluster?.close(true);
      });
    });
}
