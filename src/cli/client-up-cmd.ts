// `porthole client up`: the long-running client agent (keeps every paired home connected and
// serves the control socket), and `porthole client status`, which asks it how each home is.
import type { Command } from 'commander';
import { join } from 'node:path';
import type { ClientAgent } from '../client/agent/agent.js';
import { ControlClient } from '../client/agent/control-client.js';
import { socketAnswers } from '../client/agent/control-server.js';
import type { HomeStatus } from '../client/agent/control-wire.js';
import type { SocketAddr } from '../net/types.js';
import type { RoleOps } from '../ops/serve.js';
import { formatAddr } from '../wire/addr.js';
import { applyEnvAndConfig, PRECEDENCE_HELP } from './config.js';
import { logFor, withConnectOptions, type ConnectCliOptions } from './connect-options.js';
import { die } from './lifecycle.js';
import { listenArg } from './parse.js';

/** Where the agent of a state dir listens (inside the 0700 state dir). */
export const agentSocket = (stateDir: string): string => join(stateDir, 'agent.sock');

/** A ControlClient when an agent serves this state dir, else undefined (commands go one-shot). */
export async function agentFor(stateDir: string | undefined): Promise<ControlClient | undefined> {
  if (!stateDir || !(await socketAnswers(agentSocket(stateDir)))) return undefined;
  return ControlClient.connect(agentSocket(stateDir)).catch(() => undefined);
}

function statusLine(s: HomeStatus): string {
  const parts = [`${s.home}  ${s.state}`];
  if (s.path) parts.push(`${s.path} ${s.remote ?? ''}`.trim());
  if (s.rttMs !== undefined) parts.push(`rtt ${s.rttMs} ms`);
  parts.push(`since ${s.since}`, `reconnects ${s.reconnects}`);
  if (s.lastError && s.state !== 'up') parts.push(`last error: ${s.lastError}`);
  for (const f of s.forwards ?? [])
    parts.push(
      `\n  forward ${f.listen} → ${f.service}: ${f.streams} open, ${f.total} in all, ` +
        `${f.bytesIn} B out, ${f.bytesOut} B back${f.refused ? `, ${f.refused} refused` : ''}`,
    );
  return parts.join(', ');
}

export function registerClientUp(client: Command): void {
  withConnectOptions(
    client
      .command('up')
      .description('keep the paired homes connected; client commands and the app use this agent')
      .addHelpText('after', `\n${PRECEDENCE_HELP}\n`),
  )
    .option(
      '--metrics <HOST:PORT>',
      'serve /metrics, /healthz and /readyz over HTTP here (off by default)',
      listenArg,
    )
    .action(async (first: ConnectCliOptions & { metrics?: SocketAddr }, cmd: Command) => {
      // The options in force: SIGHUP reads them again (config.json, PORTHOLE_*; flags win).
      let o = first;
      const log = logFor(cmd, 'agent');
      if (!o.state) return die("error: required option '--state <DIR>' not specified", 2);
      // The agent's own parts load when it runs (`client status` and device commands need only
      // the control socket's client).
      const [
        { ClientAgent },
        { ControlServer },
        { closeReached },
        { cryptoRandom, realClock },
        { listHomes },
      ] = await Promise.all([
        import('../client/agent/agent.js'),
        import('../client/agent/control-server.js'),
        import('../client/reach.js'),
        import('../net/real-env.js'),
        import('../secure/state.js'),
      ]);
      const state = o.state;
      const homes = o.home ? [o.home] : listHomes(state).map((h) => h.homeId);
      const { keptConnect } = await import('./kept-connect.js');
      const connect = keptConnect(() => o, log, closeReached);
      const live: { agent?: ClientAgent } = {};
      const ops: RoleOps | undefined = o.metrics
        ? await (
            await import('../ops/serve.js')
          )
            .serveRoleMetrics('client', o.metrics, () => {
              const up = live.agent?.status().filter((h) => h.state === 'up').length ?? 0;
              return { ready: up > 0, detail: `${up} of ${homes.length} homes connected` };
            })
            .catch((e: Error) =>
              die(`cannot serve metrics on ${formatAddr(o.metrics!)}: ${e.message}`),
            )
        : undefined;
      let agent: ClientAgent;
      try {
        agent = new ClientAgent({
          homes,
          connect,
          clock: realClock,
          rng: cryptoRandom,
          log,
          wallNow: () => Date.now(),
          metrics: ops?.metrics.client,
        });
        live.agent = agent;
      } catch (e) {
        return die((e as Error).message);
      }
      const server = new ControlServer(agentSocket(state), agent);
      await server.listen().catch((e: Error) => die(e.message));
      agent.start();
      process.stderr.write(
        `porthole client agent: keeping ${homes.join(', ')}; control socket ${server.path}\n`,
      );
      let stopping = false;
      const stop = (): void => {
        if (stopping) return;
        stopping = true;
        agent.stop();
        void Promise.allSettled([server.close(), ops?.close()]).finally(() => process.exit(0));
        // Bounded: exit even if a socket refuses to close.
        setTimeout(() => process.exit(0), 2000).unref();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      // SIGHUP (issue 21 item 9): re-read its own options (config.json, PORTHOLE_*; flags still
      // win) — every connect from now on uses them — and the paired homes: newly paired ones
      // are connected, unpaired ones dropped. --state and --metrics need a restart.
      process.on('SIGHUP', () => {
        try {
          applyEnvAndConfig(cmd);
          o = { ...cmd.opts<ConnectCliOptions & { metrics?: SocketAddr }>(), state };
          log.info({}, 'SIGHUP: options re-read');
        } catch (e) {
          log.warn({ error: (e as Error).message }, 'SIGHUP: options not re-read; keeping the old');
        }
        if (o.home) return log.info({}, 'SIGHUP: --home given, no paired homes to re-read');
        const now = listHomes(state).map((h) => h.homeId);
        agent.reload(now);
        log.info({ homes: now }, 'SIGHUP: paired homes re-read');
      });
    });

  client
    .command('status')
    .description("the client agent's connection to each home (path, since, RTT, reconnects)")
    .requiredOption('--state <DIR>', 'client state dir')
    .option('--json', 'one JSON line per home')
    .action(async (o: { state: string; json?: boolean }) => {
      const agent = await agentFor(o.state);
      if (!agent) {
        if (o.json)
          process.stdout.write(
            JSON.stringify({ error: 'no client agent running', agent: false }) + '\n',
          );
        else
          process.stderr.write(
            `porthole: no client agent runs for ${o.state} (start one: porthole client up --state ${o.state})\n`,
          );
        process.exit(1);
      }
      const all = await agent.status().catch((e: Error) => die(e.message));
      for (const s of all)
        process.stdout.write((o.json ? JSON.stringify(s) : statusLine(s)) + '\n');
      agent.close();
      process.exit(0);
    });
}
