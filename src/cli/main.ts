// The `porthole` command line. Usage errors print one line on stderr and exit 2.
import { Command, CommanderError } from 'commander';
import { applyEnvAndConfig } from './config.js';
import { registerApp } from './app-cmd.js';
import { registerClient } from './client-cmd.js';
import { registerDemo } from './demo-cmd.js';
import { registerHome } from './home-cmd.js';
import { registerNat } from './nat-cmd.js'; // discovery (issue 9)
import { logLevelArg } from './parse.js';
import { registerRelay } from './relay-cmd.js';
import { registerRendezvous } from './rendezvous-cmd.js';
import { registerSimulate } from './simulate-cmd.js';

function buildProgram(): Command {
  const program = new Command('porthole')
    .description(
      'Reach and control a smart-home hub behind NAT, with no port forwarding and no cloud in the data path.',
    )
    .option(
      '--log-level <LEVEL>',
      'trace|debug|info|warn|error|silent (logs go to stderr)',
      logLevelArg,
      'warn',
    )
    .showSuggestionAfterError()
    // Positional: options after a subcommand belong to it (`home --state` vs `home init --state`).
    .enablePositionalOptions();
  registerRendezvous(program);
  registerRelay(program);
  registerHome(program);
  registerClient(program);
  registerDemo(program);
  registerSimulate(program);
  registerApp(program);
  registerNat(program); // discovery (issue 9)
  // Every (sub)command: usage errors exit 2 with one line; --help exits 0.
  const configure = (cmd: Command): void => {
    // --log-level works after any subcommand too.
    if (cmd !== program)
      cmd.option('--log-level <LEVEL>', 'trace|debug|info|warn|error|silent', logLevelArg);
    cmd.exitOverride();
    // Options left at their defaults come from PORTHOLE_* variables, then the state dir's config.
    cmd.hook('preAction', (me, action) => {
      if (me !== action) return; // a parent's hook also fires for its subcommands
      try {
        applyEnvAndConfig(me);
      } catch (e) {
        me.error(`error: ${(e as Error).message}`, { exitCode: 2, code: 'porthole.config' });
      }
    });
    cmd.configureOutput({
      writeErr: (s) => process.stderr.write(s.split('\n').filter(Boolean)[0] + '\n'),
    });
    cmd.commands.forEach(configure);
  };
  configure(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // A closed pipe (`porthole … | head`) is a normal way for a reader to stop, not a crash.
  process.stdout.on('error', (e: NodeJS.ErrnoException) =>
    process.exit(e.code === 'EPIPE' ? 0 : 1),
  );
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      const ok =
        e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.help' ||
        e.code === 'commander.version';
      process.exit(ok ? 0 : 2);
    }
    process.stderr.write(`porthole: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}

await main(process.argv);
