// The `--web` options of `porthole rendezvous` (issue 18) and the app URL they name: a leaf module,
// so `--help` loads no server (the front itself is web-front.ts, loaded when --web is given).
import { InvalidArgumentError, type Command } from 'commander';
import type { SocketAddr } from '../net/types.js';
import { formatAddr } from '../wire/addr.js';
import { listenArg } from './parse.js';

export interface WebCmdOpts {
  web?: SocketAddr;
  tlsCert?: string;
  tlsKey?: string;
  webUrl?: string;
}

/** An http(s) URL option (`--web-url`, `home pair --app-url`), without a fragment. */
export function urlArg(text: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new InvalidArgumentError(`"${text}" is not a URL (https://HOST[:PORT]/)`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new InvalidArgumentError(`"${text}" is not an http(s) URL`);
  u.hash = '';
  return u.href;
}

export function addWebOptions(cmd: Command): Command {
  return cmd
    .option(
      '--web <HOST:PORT>',
      'serve the phone app and the relay WebSocket (path /porthole) on this address, HTTPS with ' +
        '--tls-cert/--tls-key. Without them it is plain HTTP, for loopback and labs only: a phone ' +
        'needs HTTPS (a secure context) for the service worker, installing the app, and wss:',
      listenArg,
    )
    .option('--tls-cert <FILE>', 'certificate chain (PEM) for --web')
    .option('--tls-key <FILE>', 'private key (PEM) for --web')
    .option(
      '--web-url <URL>',
      'the app URL homes put in pairing QRs, when --web sits behind a proxy or a DNS name ' +
        '(default: derived from --web)',
      urlArg,
    );
}

/** The app URL this rendezvous announces (RendezvousOptions.appUrl), or undefined. */
export function appUrlOf(o: WebCmdOpts): string | undefined {
  if (o.webUrl) return o.webUrl;
  if (!o.web || o.web.port === 0 || o.web.ip === '0.0.0.0' || o.web.ip === '::') return undefined;
  return `${o.tlsCert ? 'https' : 'http'}://${formatAddr(o.web)}/`;
}
