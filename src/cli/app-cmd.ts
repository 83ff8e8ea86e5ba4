// `porthole app`: the phone-style dashboard on this machine, reaching the home through Porthole.
import type { Command } from 'commander';
import { startAppServer } from '../app/server.js';
import { AppSession } from '../app/session.js';
import { cryptoRandom, realClock } from '../net/real-env.js';
import { reachFromCli, withConnectOptions, type ConnectCliOptions } from './connect-options.js';
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
      const session = new AppSession(() => reachFromCli(o, log), {
        clock: realClock,
        rng: cryptoRandom,
      });
      const server = await startAppServer(session, { port: o.port, host: o.host }).catch(
        (e: Error) => die(`cannot serve on ${o.host}:${o.port}: ${e.message}`),
      );
      process.stdout.write(`porthole app: open ${server.url}\n`);
      session.onStatus((s) => log.info({ status: s }, 'link'));
      void session.start();
      onShutdown(() => {
        session.close();
        void server.close();
      });
    });
}
