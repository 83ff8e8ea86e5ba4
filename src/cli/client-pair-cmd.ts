// `porthole client pair CODE --state DIR`: reach the home with the one-time code, prove it
// inside the Noise handshake (which also proves the home's key), and remember the home.
import type { Command } from 'commander';
import { connectAsync } from '../client/connector.js';
import { realEnv } from '../net/real-env.js';
import { clientTrust, openSecureChannel } from '../secure/client-trust.js';
import { pairingProof } from '../secure/home-trust.js';
import { codeId, decodePairingCode } from '../secure/pairing-code.js';
import { addHome, loadState } from '../secure/state.js';
import { formatAddr } from '../wire/addr.js';
import { orDie } from './home-trust-cmd.js';
import { die } from './lifecycle.js';
import { makeLogger } from './logger.js';
import { ipArg, type LogLevel } from './parse.js';

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
        const code = orDie(() => decodePairingCode(text));
        const state = orDie(() => loadState(o.state, 'client'));
        const { logLevel } = cmd.optsWithGlobals<{ logLevel: LogLevel }>();
        const env = realEnv(makeLogger(logLevel, 'client'));
        const id = codeId(code.secret);
        const r = await connectAsync(env, {
          home: code.homeId,
          rendezvous: code.rendezvous,
          ...(o.bind ? { bindIp: o.bind } : {}),
          trust: clientTrust(state.identity, { codeId: id, secret: code.secret }),
        });
        if (!r.ok) die(`pairing failed: ${r.error}`);
        try {
          const ch = await openSecureChannel(
            r.connection,
            state.identity,
            code.home.dhPublic,
            env.clock,
            pairingProof(state.identity, id, code.secret),
          );
          ch.close();
        } catch (e) {
          die(`pairing failed: ${(e as Error).message}`);
        }
        orDie(() =>
          addHome(o.state, {
            homeId: code.homeId,
            edPublic: Buffer.from(code.home.edPublic).toString('base64url'),
            dhPublic: Buffer.from(code.home.dhPublic).toString('base64url'),
            rendezvous: formatAddr(code.rendezvous),
            addedAt: new Date().toISOString(),
          }),
        );
        if (o.json)
          process.stdout.write(
            JSON.stringify({ paired: code.homeId, rendezvous: formatAddr(code.rendezvous) }) + '\n',
          );
        else
          process.stdout.write(
            `paired with home ${code.homeId} (rendezvous ${formatAddr(code.rendezvous)})\n`,
          );
        process.exit(0);
      },
    );
}
