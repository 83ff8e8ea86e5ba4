// The app pin (issue 18's mitigation against a tampered bundle), shared by the page, the service
// worker and the home's CLI. A bundle is named by one digest over the shell's files (the HTML and
// the script and style it loads); the home vouches for a bundle by signing
// "porthole-app-pin-v1\n" + digest with its Ed25519 identity key. The pairing URL carries
// `?app=DIGEST.SIGNATURE`; the service worker pins that digest and refuses any other shell unless
// a link signed by a home it knows vouches for the new one (docs/phone.md, "Trust model").
import { ed25519 } from '@noble/curves/ed25519.js';
import { fromBase64Url, toBase64Url } from '../wire/bytes.js';

const PIN_CONTEXT = 'porthole-app-pin-v1\n';
const BUNDLE_CONTEXT = 'porthole-bundle-v1\n';
const enc = new TextEncoder();

async function sha256(b: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', b as Uint8Array<ArrayBuffer>);
  return toBase64Url(new Uint8Array(d));
}

/** The script and style a shell's HTML loads (`/assets/app-….js`, `/assets/style-….css`). */
export function shellAssets(html: string): string[] {
  const js = /<script[^>]*\ssrc="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  const css = /<link[^>]*\shref="(\/assets\/[^"]+\.css)"/.exec(html)?.[1];
  return [js, css].filter((x): x is string => x !== undefined);
}

/**
 * The bundle digest: SHA-256 over "porthole-bundle-v1\n" and one line "PATH SHA256\n" per file,
 * in order: "/" (the HTML) first, then its assets as shellAssets() lists them. base64url.
 * scripts/build-web.mjs computes the same into build.json's "bundle".
 */
export async function bundleDigest(files: Array<[string, Uint8Array]>): Promise<string> {
  let text = BUNDLE_CONTEXT;
  for (const [path, body] of files) text += `${path} ${await sha256(body)}\n`;
  return sha256(enc.encode(text));
}

/** The bytes a home signs to vouch for `bundle`. */
export function pinMessage(bundle: string): Uint8Array {
  return enc.encode(PIN_CONTEXT + bundle);
}

export interface AppPin {
  bundle: string;
  sig: Uint8Array;
}

/** `DIGEST.SIGNATURE` (both base64url) from the URL's `app` parameter. */
export function parseAppParam(text: string | null | undefined): AppPin | undefined {
  const m = /^([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{86})$/.exec(text ?? '');
  if (!m) return undefined;
  try {
    return { bundle: m[1] as string, sig: fromBase64Url(m[2] as string) };
  } catch {
    return undefined;
  }
}

export function formatAppParam(bundle: string, sig: Uint8Array): string {
  return `${bundle}.${toBase64Url(sig)}`;
}

/** True when the home with Ed25519 key `edPublic` signed this pin. */
export function verifyPin(pin: AppPin, edPublic: Uint8Array): boolean {
  try {
    return ed25519.verify(pin.sig, pinMessage(pin.bundle), edPublic);
  } catch {
    return false;
  }
}
