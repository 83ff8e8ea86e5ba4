import type { Command } from 'commander';
import { runHome } from '../home/run.js';
import { realEnv } from '../net/real-env.js';
import type { SocketAddr } from '../net/types.js';
import { loadState, saveConfig, type State } from '../secure/state.js';
import { formatAddr } from '../wire/addr.js';
import { registerHomeTrustCommands } from './home-trust-cmd.js';
import { die, onShutdown } from './lifecycle.js';
import { makeLogger } from './logger.js';
import {
  addrArg,
  homeIdArg,
  intArg,
  listenArg,
  resprayArg,
  sprayTtlArg,
  type LogLevel,
} from './parse.js';

interface HomeCliOptions {
  id?: string;
  state?: string;
  rendezvous?: SocketAddr;
  listen: SocketAddr;
  spray?: number;
  sprayTtl: number | 'auto' | 'os';
  respray: number | 'auto' | 'off';
  keepalive?: number;
  devices: string;
}

export function registerHome(program: Command): Command {
  const home = program
    .command('home')
    .description(
      'run the home agent beside the smart-home hub (registers with the rendezvous, answers clients)',
    )
    .option('--state <DIR>', 'identity and paired clients (from `porthole home init`); secure mode')
    .option('--id <ID>', 'open mode without --state: any id (1-64 of A-Z a-z 0-9 . _ -)', homeIdArg)
    .option('--rendezvous <HOST:PORT>', 'the rendezvous address (required)', addrArg)
    .option('--listen <HOST:PORT>', 'local UDP address', listenArg, listenArg('0.0.0.0:7401'))
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
    .option(
      '--respray <WHEN>',
      "second spray at full TTL once the client knocked: 'auto' (from the RTT to the rendezvous), 'off', or MS",
      resprayArg,
      'auto',
    )
    .option('--keepalive <MS>', 'keepalive period towards the rendezvous', intArg(1000, 600_000))
    .option(
      '--devices <SOURCE>',
      'devices to serve: simulated, or mqtt://HOST:PORT (Zigbee2MQTT / HA discovery)',
      'simulated',
    )
    .action(async (opts: HomeCliOptions, cmd: Command) => {
      if (!opts.rendezvous)
        cmd.error("error: required option '--rendezvous <HOST:PORT>' not specified");
      if (!opts.id === !opts.state)
        cmd.error('error: give exactly one of --state DIR (secure) or --id ID (open)');
      const { logLevel } = cmd.optsWithGlobals<{ logLevel: LogLevel }>();
      const log = makeLogger(logLevel, 'home');
      let state: State | undefined;
      if (opts.state) {
        try {
          state = loadState(opts.state, 'home');
          saveConfig(opts.state, { rendezvous: formatAddr(opts.rendezvous) });
        } catch (e) {
          die((e as Error).message);
        }
      }
      const running = await runHome(realEnv(log), {
        ...(state ? { state } : { id: opts.id }),
        rendezvous: opts.rendezvous,
        listen: opts.listen,
        spray: opts.spray,
        sprayTtl: opts.sprayTtl,
        respray: opts.respray,
        keepaliveMs: opts.keepalive,
        devices: opts.devices,
      }).catch((e: Error) => die(e.message));
      log.info(
        {
          id: running.id,
          secure: !!running.trust,
          listen: formatAddr(running.bound),
          rendezvous: formatAddr(opts.rendezvous),
        },
        'home agent started',
      );
      if (!running.trust)
        log.warn(
          {},
          'open mode: any client that knows the id can make this home spray; use --state',
        );
      onShutdown(() => {
        log.info({ stats: running.agent.stats }, 'home agent stopping');
        running.close();
      });
    });
  registerHomeTrustCommands(home);
  return home;
}
