// `porthole demo`: its definition; the demo itself (demo.ts: a rendezvous, a home and a client in
// one process) loads only when it runs.
import type { Command } from 'commander';
import type { LogLevel } from './parse.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run rendezvous, home and client on this machine and show the method step by step')
    .action(async (_o: unknown, cmd: Command) => {
      const { logLevel } = cmd.optsWithGlobals<{ logLevel: LogLevel }>();
      const { runDemo } = await import('./demo.js');
      process.exit(await runDemo(logLevel));
    });
}
