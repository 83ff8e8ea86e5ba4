// `porthole client pair CODE --state DIR`: pair with a home (client/pair.ts) and remember it.
import type { Command } from 'commander';
import { addHome, loadState } from '../secure/state.js';
import { formatAddr } from '../wire/addr.js';
import { logFor } from './connect-options.js';
import { die, orDie } from './lifecycle.js';
import { ipArg } from './parse.js';

export function registerClientPair(client: Command): void {
  client
    .command('pair')
    .description('pair with a home using the code `porthole home pair` printed')
    .argument('<CODE>', 'the pairing code (PH1-…)')
    .requiredOption('--state <DIR>', 'client state dir (from `porthole client init`)')
    .option('--bind <IP>', "local IP for the client's sockets", ipArg)
    .option('--json', 'machine-readable output')
    .action(
      async (text: string, o: { state: string; bind?: string; json?: boolean }, cmd: Command) => {
        const { decodePairingCode } = await import('../secure/pairing-code.js');
        const code = orDie(() => decodePairingCode(text));
        const state = orDie(() => loadState(o.state, 'client'));
        const [{ pair }, { realEnv }] = await Promise.all([
          import('../client/pair.js'),
          import('../net/real-env.js'),
        ]);
        const env = realEnv(logFor(cmd, 'client'));
        const known = await pair(env, state.identity, code, o.bind ? { bindIp: o.bind } : {}).catch(
          (e: Error) => die(e.message),
        );
        orDie(() => addHome(o.state, known));
        if (o.json)
          process.stdout.write(
            JSON.stringify({ paired: code.homeId, rendezvous: known.rendezvous }) + '\n',
          );
        else
          process.stdout.write(
            `paired with home ${code.homeId} (rendezvous ${formatAddr(code.rendezvous)})\n`,
          );
        process.exit(0);
      },
    );
}
