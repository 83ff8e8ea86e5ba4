// What every Chromium run (the lab's phone in a namespace, the phone tests on loopback) shares: a
// self-signed certificate for the rendezvous' web front at one IP, and Chromium's flags.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** A throwaway EC certificate for `ip` (the browser is told to ignore its issuer). */
export function selfSignedCert(dir: string, ip: string, cn: string): { cert: string; key: string } {
  const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-days', '2', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=IP:${ip}`],
      ...['-keyout', key, '-out', cert],
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

/** Headless, no sandbox (root), nothing fetched in the background, no QUIC. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
