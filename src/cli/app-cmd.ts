// `porthole app`: the phone-style dashboard on this machine, reaching the home through Porthole.
import type { Command } from 'commander';
import type { AppBackend } from '../app/server.js';
import { reachFromCli, withConnectOptions, type ConnectCliOptions } from './connect-options.js';
import { agentFor } from './client-up-cmd.js';
import { die, onShutdown } from './lifecycle.js';
import { makeLogger } from './logger.js';
import { intArg, ipArg, type LogLevel } from './parse.js';

export function registerApp(program: Command): void {
  withConnectOptions(
    program.command('app').description('serve the dashboard on localhost, connected to the home'),
  )
    .option('--port <PORT>', 'HTTP port (0 = any free one)', intArg(0, 65535), 8080)
    .option('--host <IP>', 'HTTP address to listen on', ipArg, '127.0.0.1')
    .action(async (o: ConnectCliOptions & { port: number; host: string }, cmd: Command) => {
      const { logLevel } = cmd.optsWithGlobals<{ logLevel: LogLevel }>();
      const log = makeLogger(logLevel, 'app');
      // The web app (hono) and the session load when the command runs, not for --help.
      const [{ AgentAppBackend }, { startAppServer }, { AppSession }, { cryptoRandom, realClock }] =
        await Promise.all([
          import('../app/agent-backend.js'),
          import('../app/server.js'),
          import('../app/session.js'),
          import('../net/real-env.js'),
        ]);
      // A running client agent already holds the connection: the app goes through it.
      const agent = await agentFor(o.state);
      let backend: AppBackend & { close(): void };
      if (agent) {
        const viaAgent = new AgentAppBackend(agent, o.home);
        await viaAgent.start().catch((e: Error) => die(`the client agent refused: ${e.message}`));
        backend = viaAgent;
        log.info({}, 'using the running client agent');
      } else {
        const session = new AppSession(() => reachFromCli(o, log), {
          clock: realClock,
          rng: cryptoRandom,
        });
        void session.start();
        backend = session;
      }
      const server = await startAppServer(backend, { port: o.port, host: o.host }).catch(
        (e: Error) => die(`cannot serve on ${o.host}:${o.port}: ${e.message}`),
      );
      process.stdout.write(`porthole app: open ${server.url}\n`);
      backend.onStatus((s) => log.info({ status: s }, 'link'));
      onShutdown(() => {
        backend.close();
        void server.close();
      });
    });
}
