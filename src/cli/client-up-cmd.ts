// `porthole client up`: the long-running client agent (keeps every paired home connected and
// serves the control socket), and `porthole client status`, which asks it how each home is.
import type { Command } from 'commander';
import { join } from 'node:path';
import { ClientAgent } from '../client/agent/agent.js';
import { closeReached } from '../client/reach.js';
import { ControlClient } from '../client/agent/control-client.js';
import { ControlServer, socketAnswers } from '../client/agent/control-server.js';
import type { HomeStatus } from '../client/agent/control-wire.js';
import type { KeptLink } from '../client/agent/keeper.js';
import { cryptoRandom, realClock } from '../net/real-env.js';
import type { SocketAddr } from '../net/types.js';
import { serveRoleMetrics, type RoleOps } from '../ops/serve.js';
import { formatAddr } from '../wire/addr.js';
import { listHomes } from '../secure/state.js';
import { PRECEDENCE_HELP } from './config.js';
import {
  logFor,
  reachFromCli,
  withConnectOptions,
  type ConnectCliOptions,
} from './connect-options.js';
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

/** How an agent (client up, or a forward's own) connects a home and keeps the link. */
export function keptConnect(
  o: ConnectCliOptions,
  log: ReturnType<typeof logFor>,
): (home: string) => Promise<KeptLink> {
  return async (home: string): Promise<KeptLink> => {
    const r = await reachFromCli({ ...o, home }, log);
    // A relayed link has no ping below the channel: it is alive until its path is lost (the
    // path switch pings a direct path it moved onto).
    let lost = false;
    r.paths?.onLost(() => (lost = true));
    const conn = r.connection;
    const paths = r.paths;
    return {
      channel: r.channel,
      ping: (ms, cb) => {
        if (conn) return conn.ping(ms, cb);
        if (lost || !paths) return cb(undefined);
        paths.ping(ms, cb);
      },
      close: () => {
        r.channel.close();
        closeReached(r);
      },
      path: r.report.path,
      remote: r.report.relay ?? r.report.home,
      onMoved: (cb) => paths?.onChange((c) => cb(c.kind, c.remote)),
    };
  };
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
    .action(async (o: ConnectCliOptions & { metrics?: SocketAddr }, cmd: Command) => {
      const log = logFor(cmd, 'agent');
      if (!o.state) return die("error: required option '--state <DIR>' not specified", 2);
      const state = o.state;
      const homes = o.home ? [o.home] : listHomes(state).map((h) => h.homeId);
      const connect = keptConnect(o, log);
      const live: { agent?: ClientAgent } = {};
      const ops: RoleOps | undefined = o.metrics
        ? await serveRoleMetrics('client', o.metrics, () => {
            const up = live.agent?.status().filter((h) => h.state === 'up').length ?? 0;
            return { ready: up > 0, detail: `${up} of ${homes.length} homes connected` };
          }).catch((e: Error) =>
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
      // SIGHUP: re-read the paired homes: newly paired ones are connected, unpaired ones dropped.
      process.on('SIGHUP', () => {
        if (o.home) return log.info({}, 'SIGHUP: --home given, nothing to re-read');
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
