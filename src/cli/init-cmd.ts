// `porthole home init` / `porthole client init`: a new identity in a state dir.
import type { Command } from 'commander';
import type { Role } from '../secure/state.js';
import { orDie } from './lifecycle.js';

export function registerInit(parent: Command, role: Role): void {
  parent
    .command('init')
    .description(`create this ${role}'s long-term keys in a state dir (files mode 0600)`)
    .requiredOption('--state <DIR>', 'state directory to create')
    .option('--json', 'machine-readable output')
    .action(async (o: { state: string; json?: boolean }) => {
      const [{ fingerprint }, { initState }] = await Promise.all([
        import('../secure/keys.js'),
        import('../secure/state.js'),
      ]);
      const s = orDie(() => initState(o.state, role));
      const fp = fingerprint(s.identity.edPublic);
      if (o.json) {
        process.stdout.write(
          JSON.stringify(
            role === 'home' ? { homeId: s.homeId, fingerprint: fp } : { fingerprint: fp },
          ) + '\n',
        );
      } else if (role === 'home') {
        process.stdout.write(`home initialised in ${o.state}\nhome id: ${s.homeId}\n`);
      } else {
        process.stdout.write(`client initialised in ${o.state}\nfingerprint: ${fp}\n`);
      }
    });
}
