// The state dir's config.json (src/cli/config.ts): read, then every key applied through the
// option's own parser, as `porthole … --state DIR` does. A bad file must give an Error naming
// the file or commander's InvalidArgumentError naming the key — never a TypeError.
import { Command, InvalidArgumentError } from 'commander';
import { applyEnvAndConfig } from '../../../src/cli/config.js';
import { addrArg, homeIdArg, intArg, logLevelArg, sprayTtlArg } from '../../../src/cli/parse.js';
import { put } from '../files.js';
import { decodes, type FuzzTarget } from '../target.js';

function command(dir: string): Command {
  const cmd = new Command('home')
    .exitOverride()
    .option('--state <dir>', 'state dir', dir)
    .option('--rendezvous <addr>', 'rendezvous', addrArg)
    .option('--home <id>', 'home id', homeIdArg)
    .option('--sockets <n>', 'sockets', intArg(1, 512), 10)
    .option('--log-level <level>', 'log level', logLevelArg)
    .option('--spray-ttl <ttl>', 'spray ttl', sprayTtlArg)
    .option('--no-secure', 'plain');
  cmd.parse([], { from: 'user' });
  return cmd;
}

const ownError = (e: unknown): boolean =>
  e instanceof InvalidArgumentError ||
  (e instanceof Error && e.constructor === Error && e.message.includes('config.json'));

export const target: FuzzTarget = {
  name: 'config-file',
  about: 'src/cli/config.ts readConfigFile + applyEnvAndConfig (config.json through the parsers)',
  sources: ['src/cli/config.ts'],
  maxLen: 4096,
  seeds: () => [
    Buffer.from(
      JSON.stringify({
        rendezvous: '198.51.100.1:7000',
        sockets: 64,
        logLevel: 'debug',
        sprayTtl: 'auto',
        secure: false,
      }),
    ),
    Buffer.from('{"home": "ph-abc", "rendezvous": "[2001:db8::1]:443"}'),
  ],
  fuzz(data) {
    const dir = put('config.json', data);
    decodes(() => applyEnvAndConfig(command(dir), {}), ownError);
  },
};
