import { InvalidArgumentError, type Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningHome } from '../home/run.js';
import type { Logger, SocketAddr } from '../net/types.js';
import type { State } from '../secure/state.js';
import { formatAddr } from '../wire/addr.js';
import { registerHomeTrustCommands } from './home-trust-cmd.js';
import { registerHomeStatus } from './home-status-cmd.js';
import { registerHomeExpose } from './home-expose-cmd.js';
import { registerHomeServe } from './home-serve-cmd.js';
import { keepStatusFile } from '../home/status-file.js';
import { formatNodeList, hostPortListArg, resolveNodes } from './rendezvous-nodes.js';
import type { HostPort } from './resolve.js';
import type { RoleOps } from '../ops/serve.js';
import { ipv6Arg, portmapArg } from './candidate-args.js';
import type { PortmapMode } from '../portmap/index.js';
import { applyEnvAndConfig } from './config.js';
import { die, onReload, onShutdown } from './lifecycle.js';
import { makeLogger } from './logger.js';
import { homeIdArg, intArg, listenArg, resprayArg, sprayTtlArg, type LogLevel } from './parse.js';

interface HomeCliOptions {
  id?: string;
  state?: string;
  rendezvous?: HostPort[];
  listen: SocketAddr;
  metrics?: SocketAddr;
  spray?: number;
  sprayTtl: number | 'auto' | 'os';
  respray: number | 'auto' | 'off';
  keepalive?: number;
  devices: string;
  haTokenFile?: string;
  portmap: PortmapMode;
  ipv6: string;
  discovery?: boolean;
  webrtc?: boolean;
  webrtcStun?: string[];
  webrtcPorts?: [number, number];
}

/** "HOST:PORT[,HOST:PORT…]" (STUN servers for the phone's direct path). */
function stunListArg(text: string): string[] {
  const list = text.split(',').map((s) => s.trim());
  for (const s of list)
    if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(s))
      throw new InvalidArgumentError(`not HOST:PORT: ${s}`);
  return list;
}

/** "FIRST-LAST": the UDP ports WebRTC (ICE) may bind. */
function portRangeArg(text: string): [number, number] {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text.trim());
  const a = Number(m?.[1]);
  const b = Number(m?.[2]);
  if (!m || a < 1024 || b > 65535 || a > b)
    throw new InvalidArgumentError('give FIRST-LAST, 1024 ≤ FIRST ≤ LAST ≤ 65535');
  return [a, b];
}

export function registerHome(program: Command): Command {
  const home = program
    .command('home')
    .description(
      'run the home agent beside the smart-home hub (registers with the rendezvous, answers clients)',
    )
    .option('--state <DIR>', 'identity and paired clients (from `porthole home init`); secure mode')
    .option('--id <ID>', 'open mode without --state: any id (1-64 of A-Z a-z 0-9 . _ -)', homeIdArg)
    .option(
      '--rendezvous <HOST:PORT>',
      'the rendezvous (required; with --state the last one given is kept); a cluster: repeat it, ' +
        'give a comma list, or a DNS name with ' +
        'several A/AAAA records: the home moves to the next node when one stops answering',
      hostPortListArg,
    )
    .option('--listen <HOST:PORT>', 'local UDP address', listenArg, listenArg('0.0.0.0:7401'))
    .option(
      '--spray <N>',
      "N: ports of the client's IP sprayed per assist (patent: 500)",
      intArg(0, 20_000),
    )
    .option(
      '--spray-ttl <T>',
      "IP TTL of hole-opening packets: 1-255, 'auto' (measured NAT depth + 1, else hop distance to the rendezvous minus 1) or 'os'",
      sprayTtlArg,
      'auto',
    )
    .option(
      '--respray <WHEN>',
      "second spray at full TTL once the client knocked: 'auto' (from the RTT to the rendezvous), 'off', or MS",
      resprayArg,
      'auto',
    )
    .option('--keepalive <MS>', 'keepalive period towards the rendezvous', intArg(1000, 600_000))
    .option(
      '--no-discovery',
      "don't classify this NAT against the rendezvous's STUN (no class sent: clients fall back to the patent round)",
    )
    .option(
      '--devices <SOURCE>',
      'devices to serve: simulated, mqtt://HOST:PORT (Zigbee2MQTT / HA discovery), or ' +
        'ha://HOST:PORT / has://HOST:PORT (Home Assistant; with --ha-token-file)',
      'simulated',
    )
    .option(
      '--ha-token-file <FILE>',
      'a file holding a Home Assistant long-lived access token (HA: profile → Security); ' +
        'what `home expose` allows is served',
    )
    .option(
      '--metrics <HOST:PORT>',
      'serve /metrics, /healthz and /readyz over HTTP here (off by default)',
      listenArg,
    )
    .option(
      '--portmap <MODE>',
      'ask the router for a port mapping: auto or off',
      portmapArg,
      'auto',
    )
    .option(
      '--ipv6 <ADDR>',
      "advertise an IPv6 socket: 'auto' (a global address), 'off', or an address",
      ipv6Arg,
      'auto',
    )
    .option('--no-webrtc', "phones stay relayed: don't answer WebRTC (a direct data channel)")
    .option(
      '--webrtc-stun <HOST:PORT,…>',
      "STUN servers for the phone's direct path (default: the rendezvous, which answers STUN)",
      stunListArg,
    )
    .option(
      '--webrtc-ports <FIRST-LAST>',
      'UDP ports WebRTC may bind for phones (default: any; set one for a firewall rule)',
      portRangeArg,
    )
    .action(async (first: HomeCliOptions, cmd: Command) => {
      const { logLevel } = cmd.optsWithGlobals<{ logLevel: LogLevel }>();
      const log = makeLogger(logLevel, 'home');
      // The agent starts after the endpoint (a bad --metrics address fails before any traffic).
      const live: { agent?: RunningHome['agent'] } = {};
      const ops: RoleOps | undefined = first.metrics
        ? await (
            await import('../ops/serve.js')
          )
            .serveRoleMetrics('home', first.metrics, () =>
              live.agent?.stats.registered
                ? { ready: true, detail: `registered via ${formatAddr(live.agent.rendezvous)}` }
                : { ready: false, detail: 'not registered with a rendezvous' },
            )
            .catch((e: Error) =>
              die(`cannot serve metrics on ${formatAddr(first.metrics!)}: ${e.message}`),
            )
        : undefined;
      let running = await startHome(first, cmd, log, ops);
      live.agent = running.agent;
      let status = statusFileFor(first.state, running, log);
      const stop = async (): Promise<void> => {
        log.info({ stats: running.agent.stats }, 'home agent stopping');
        running.close();
        await running.agent.whenClosed; // the router mapping is deleted (bounded)
        status?.stop();
        log.info({ portmap: running.agent.stats.candidates.portmap.state }, 'home agent stopped');
      };
      // SIGHUP: read config.json and PORTHOLE_* again (flags still win), restart the agent.
      onReload(async () => {
        applyEnvAndConfig(cmd);
        const next = cmd.opts<HomeCliOptions>();
        log.info({}, 'SIGHUP: configuration re-read; restarting the home agent');
        // Clients hear it (authenticated) and reconnect at once: the new agent knows no session.
        if (running.closeChannels('the home is restarting') > 0) await sleep(100);
        await stop();
        running = await startHome(next, cmd, log, ops);
        live.agent = running.agent;
        status = statusFileFor(next.state, running, log);
      });
      onShutdown(async () => {
        void ops?.close();
        // Goodbye first (issue 21 item 9): clients hear "home offline" at once, not a timeout;
        // clients with a live channel are told too (the frames leave while the goodbye waits).
        running.closeChannels('the home is stopping');
        await running.agent.goodbye();
        await stop();
      });
    });
  registerHomeTrustCommands(home);
  registerHomeStatus(home);
  registerHomeExpose(home);
  registerHomeServe(home);
  return home;
}

/** With --state, `status.json` there follows the agent (`porthole home status`). */
function statusFileFor(dir: string | undefined, running: RunningHome, log: Logger) {
  if (!dir) return undefined;
  return keepStatusFile(
    dir,
    running.agent,
    !!running.trust,
    Date.now,
    (e) => log.warn({ error: e.message }, 'cannot write status.json; `home status` will be stale'),
    running.devices,
  );
}

/** Resolves the options into a running home (agent, trust, devices); exits on bad input. */
async function startHome(
  opts: HomeCliOptions,
  cmd: Command,
  log: Logger,
  ops: RoleOps | undefined,
): Promise<RunningHome> {
  if (!opts.id === !opts.state)
    cmd.error('error: give exactly one of --state DIR (secure) or --id ID (open)');
  // With --state, the rendezvous last given (config.json) is the default (the service unit): the
  // option layer (config.ts) fills it from there like any other option.
  const given = opts.rendezvous;
  if (!given) cmd.error("error: required option '--rendezvous <HOST:PORT>' not specified");
  const nodes = await resolveNodes(given).catch((e: Error) => die(e.message, 2));
  const rendezvous = nodes[0]!;
  let state: State | undefined;
  if (opts.state) {
    const { loadState, saveConfig } = await import('../secure/state.js');
    try {
      state = loadState(opts.state, 'home');
      saveConfig(opts.state, { rendezvous: formatNodeList(given) });
    } catch (e) {
      die((e as Error).message);
    }
  }
  // The home's parts load when it starts (mqtt only for mqtt:// devices, the port mapper's UPnP
  // only when it looks for a router), not for --help.
  const [{ runHome }, { realEnv }] = await Promise.all([
    import('../home/run.js'),
    import('../net/real-env.js'),
  ]);
  const running = await runHome(realEnv(log, { udx: true }), {
    ...(state ? { state } : { id: opts.id }),
    rendezvous,
    rendezvousNodes: nodes.slice(1),
    metrics: ops?.metrics.home,
    listen: opts.listen,
    spray: opts.spray,
    sprayTtl: opts.sprayTtl,
    respray: opts.respray,
    keepaliveMs: opts.keepalive,
    devices: opts.devices,
    ...(opts.haTokenFile ? { haTokenFile: opts.haTokenFile } : {}),
    candidates: {
      portmap: opts.portmap,
      ipv6: opts.ipv6 === 'auto' || opts.ipv6 === 'off' ? opts.ipv6 : [opts.ipv6],
    },
    discovery: opts.discovery !== false,
    webrtc: {
      enabled: opts.webrtc !== false,
      ...(opts.webrtcStun ? { stun: opts.webrtcStun } : {}),
      ...(opts.webrtcPorts ? { portRange: opts.webrtcPorts } : {}),
    },
  }).catch((e: Error) => die(e.message));
  log.info(
    {
      id: running.id,
      secure: !!running.trust,
      listen: formatAddr(running.bound),
      rendezvous: nodes.map(formatAddr).join(','),
      metrics: ops ? formatAddr(ops.address) : 'off',
    },
    'home agent started',
  );
  if (!running.trust)
    log.warn({}, 'open mode: any client that knows the id can make this home spray; use --state');
  return running;
}
