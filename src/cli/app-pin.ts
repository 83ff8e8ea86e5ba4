// The home's side of the app pin (issue 18, docs/phone.md "Trust model"): the home vouches for
// the phone app bundle of its own installation (dist/web/phone/build.json, the same build the
// rendezvous serves when both run this version) by signing its digest with the home's Ed25519
// key. `home pair` puts `?app=DIGEST.SIG` in the pairing URL; `home app-link` makes a link that
// moves paired phones to a new bundle.
import { sign } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Identity } from '../secure/keys.js';
import { formatAppParam, pinMessage } from '../phone/pin.js';

const BUILD_JSON = new URL('../../web/phone/build.json', import.meta.url).pathname;

/** This installation's phone-app bundle digest, or undefined when the app is not built. */
export function ownBundle(): string | undefined {
  if (!existsSync(BUILD_JSON)) return undefined;
  const b = JSON.parse(readFileSync(BUILD_JSON, 'utf8')) as { bundle?: unknown };
  return typeof b.bundle === 'string' ? b.bundle : undefined;
}

/** `DIGEST.SIG` for the URL's `app` parameter: the home vouches for `bundle`. */
export function appParam(identity: Identity, bundle: string): string {
  const sig = sign(null, pinMessage(bundle), identity.edPrivate);
  return formatAppParam(bundle, new Uint8Array(sig));
}

/** `appUrl` with `?app=…` (and `#pair=CODE` when pairing). */
export function appLink(appUrl: string, app: string | undefined, code?: string): string {
  const u = new URL(appUrl);
  if (app) u.searchParams.set('app', app);
  if (code) u.hash = `pair=${code}`;
  return u.toString();
}
