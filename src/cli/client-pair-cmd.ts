// `porthole client pair CODE --state DIR`: pair with a home (client/pair.ts) and remember it.
import type { Command } from 'commander';
import { formatAddr } from '../wire/addr.js';
import { RELAY_HEAD_START_MS, type RelayChoice } from '../client/relay-choice.js';
import { logFor, toConnectOptions, withAutoTransport } from './connect-options.js';
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
        const [{ decodePairingCode }, { addHome, loadState }] = await Promise.all([
          import('../secure/pairing-code.js'),
          import('../secure/state.js'),
        ]);
        const code = orDie(() => decodePairingCode(text));
        const state = orDie(() => loadState(o.state, 'client'));
        const [{ pair }, { reach }, { realEnv }] = await Promise.all([
          import('../client/pair.js'),
          import('../client/reach.js'),
          import('../net/real-env.js'),
        ]);
        const log = logFor(cmd, 'client');
        const env = realEnv(log);
        // The same ladder as `client connect` (issue 21 item 2): NAT classes (cached per
        // network), the relay when nothing else works, the transport chosen by itself.
        const cli = { state: o.state, ...(o.bind ? { bind: o.bind } : {}) };
        // No mapped/IPv6 candidates: the home answers candidate queries from paired clients only.
        const { candidates, ...extra } = toConnectOptions({
          ...cli,
          home: code.homeId,
          rendezvous: code.rendezvous,
          candidates: 'off',
          ipv6: 'off',
        });
        void candidates;
        const relay: RelayChoice = {
          mode: 'auto',
          transport: 'udp',
          headStartMs: RELAY_HEAD_START_MS,
        };
        const known = await pair(env, state.identity, code, extra, Date.now, relay, (opts, p, r) =>
          withAutoTransport(cli, code.rendezvous, log, r, (e, chosen) => reach(e, opts, p, chosen)),
        ).catch((e: Error) => die(e.message));
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
