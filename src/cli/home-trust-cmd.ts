// `porthole home init | pair | clients`: the home's identity and who may reach it.
import type { Command } from 'commander';
import { firstNode, hostPortListArg } from './rendezvous-nodes.js';
import type { HostPort } from './resolve.js';
import { registerInit } from './init-cmd.js';
import { die, orDie } from './lifecycle.js';
import { intArg } from './parse.js';
import { urlArg } from './web-options.js';

export function registerHomeTrustCommands(home: Command): void {
  registerInit(home, 'home');

  home
    .command('pair')
    .description(
      'print a one-time, expiring pairing code (and a QR code on a terminal) for a new client',
    )
    .requiredOption('--state <DIR>', 'the home state dir')
    .option(
      '--rendezvous <HOST:PORT>',
      'rendezvous the client should use (default: the one the home runs with; of a list, the first)',
      hostPortListArg,
    )
    .option('--expires <MIN>', 'minutes until the code expires', intArg(1, 24 * 60), 10)
    .option(
      '--app-url <URL>',
      'the phone app (`rendezvous --web`): the QR becomes URL?app=PIN#pair=CODE, opened on a phone',
      urlArg,
    )
    .option('--json', 'machine-readable output')
    .action(
      async (o: {
        state: string;
        rendezvous?: HostPort[];
        expires: number;
        appUrl?: string;
        json?: boolean;
      }) => {
        const { addPendingCode, loadState } = await import('../secure/state.js');
        const s = orDie(() => loadState(o.state, 'home'));
        // Given or saved (config.json, filled by the option layer), a DNS name or a cluster's
        // list: the code carries its first node.
        const rendezvous = o.rendezvous
          ? await firstNode(o.rendezvous).catch((e: Error) => die(e.message))
          : undefined;
        if (!rendezvous) die('no rendezvous known for this home yet: pass --rendezvous HOST:PORT');
        const { codeId, encodePairingCode, newSecret } = await import('../secure/pairing-code.js');
        const secret = newSecret();
        const expiresAt = Date.now() + o.expires * 60_000;
        const id = codeId(secret);
        orDie(() =>
          addPendingCode(o.state, {
            id,
            secret: Buffer.from(secret).toString('base64url'),
            expiresAt,
            used: false,
          }),
        );
        const code = encodePairingCode({ home: s.identity, rendezvous, secret, expiresAt });
        // The code rides in the fragment: the browser never sends it to the server.
        // --app-url (or config.json) wins; else what the rendezvous announced (serverInfo,
        // kept by the running home in status.json).
        const { readHomeStatus } = await import('../home/status-file.js');
        const announced = readHomeStatus(o.state, () => true).status?.appUrl;
        const appUrl = o.appUrl ?? (announced || undefined);
        // ?app=: the home vouches for its own build of the app (the phone pins it; docs/phone.md).
        const { appLink, appParam, ownBundle } = await import('./app-pin.js');
        const bundle = ownBundle();
        const url = appUrl
          ? appLink(appUrl, bundle ? appParam(s.identity, bundle) : undefined, code)
          : undefined;
        if (o.json) {
          process.stdout.write(
            JSON.stringify({
              code,
              homeId: s.homeId,
              expiresAt: new Date(expiresAt).toISOString(),
              ...(url ? { url } : {}),
            }) + '\n',
          );
          return;
        }
        process.stdout.write(
          `pairing code for home ${s.homeId} (one use, expires in ${o.expires} min):\n\n${code}\n\n`,
        );
        if (url) process.stdout.write(`on a phone, open (or scan): ${url}\n\n`);
        if (process.stdout.isTTY) {
          const { default: qrcode } = await import('qrcode-terminal');
          qrcode.generate(url ?? code, { small: true }, (qr) => process.stdout.write(qr + '\n'));
        }
        process.stdout.write(`on the client: porthole client pair ${code} --state DIR\n`);
      },
    );

  home
    .command('app-link')
    .description(
      'a link that moves paired phones to a phone-app build this home vouches for (signed by its key)',
    )
    .requiredOption('--state <DIR>', 'the home state dir')
    .option(
      '--bundle <DIGEST>',
      'the build\'s digest (build.json "bundle"; default: this install\'s)',
    )
    .option('--app-url <URL>', 'the phone app (default: what the rendezvous announced)', urlArg)
    .option('--json', 'machine-readable output')
    .action(async (o: { state: string; bundle?: string; appUrl?: string; json?: boolean }) => {
      const { loadState } = await import('../secure/state.js');
      const s = orDie(() => loadState(o.state, 'home'));
      const { appLink, appParam, ownBundle } = await import('./app-pin.js');
      const bundle = o.bundle ?? ownBundle();
      if (!bundle || !/^[A-Za-z0-9_-]{43}$/.test(bundle))
        die(
          o.bundle
            ? '--bundle: expected a 43-character base64url digest'
            : 'the phone app is not built here: pass --bundle DIGEST',
          2,
        );
      const { readHomeStatus } = await import('../home/status-file.js');
      const appUrl = o.appUrl ?? (readHomeStatus(o.state, () => true).status?.appUrl || undefined);
      if (!appUrl) die('no app URL known (the rendezvous announced none): pass --app-url URL', 2);
      const url = appLink(appUrl, appParam(s.identity, bundle));
      process.stdout.write(
        o.json
          ? JSON.stringify({ url, bundle, homeId: s.homeId }) + '\n'
          : `open on each paired phone to accept app build ${bundle}:\n${url}\n`,
      );
    });

  home
    .command('clients')
    .description('list the paired clients, or revoke one')
    .requiredOption('--state <DIR>', 'the home state dir')
    .option('--revoke <KEY>', 'fingerprint or public key (a unique prefix is enough) to revoke')
    .option('--json', 'machine-readable output')
    .action(async (o: { state: string; revoke?: string; json?: boolean }) => {
      const [{ fingerprint }, { listAuthorized, loadState, revokeAuthorized }] = await Promise.all([
        import('../secure/keys.js'),
        import('../secure/state.js'),
      ]);
      orDie(() => loadState(o.state, 'home'));
      if (o.revoke) {
        const gone = orDie(() => revokeAuthorized(o.state, o.revoke as string));
        const fp = fingerprint(Buffer.from(gone.edPublic, 'base64url'));
        process.stdout.write(
          o.json ? JSON.stringify({ revoked: fp }) + '\n' : `revoked ${gone.name} (${fp})\n`,
        );
        return;
      }
      const list = orDie(() => listAuthorized(o.state)).map((c) => ({
        fingerprint: fingerprint(Buffer.from(c.edPublic, 'base64url')),
        name: c.name,
        key: c.edPublic,
        addedAt: c.addedAt,
      }));
      if (o.json) {
        for (const c of list) process.stdout.write(JSON.stringify(c) + '\n');
        return;
      }
      if (list.length === 0)
        process.stdout.write('no paired clients (make a code with `porthole home pair`)\n');
      for (const c of list)
        process.stdout.write(`${c.fingerprint}  ${c.name}  added ${c.addedAt}\n`);
    });
}
