// What pairing a phone parses on either side. The phone: the pairing code in the QR's URL
// (`#pair=…`), a pasted URL or a pasted code (src/phone/pair-link.ts codeFrom, %-escapes
// included). The home: the phone's pairing proof in Noise message 1 (src/secure/pairing-proof.ts
// parsePairingProof: code id, Ed25519 key, mac, the name the user typed). The first byte picks:
// 0 (mod 3), the text the phone reads; 1, the proof. Contract: codeFrom throws the pairing code's own
// PortholeError kinds only (a broken escape was a URIError); a proof parses or is undefined,
// its name printable and at most 40 bytes, and it verifies only with the secret it was made with.
// A third mode (first byte % 3 = 2): the app pin in the pairing URL (src/phone/pin.ts), which never
// throws and never verifies a forged signature.
import { codeFrom } from '../../../src/phone/pair-link.js';
import { parseAppParam, shellAssets, verifyPin } from '../../../src/phone/pin.js';
import { encodePairingCode, isPairingCodeError } from '../../../src/secure/pairing-code.js';
import {
  MAX_CLIENT_NAME,
  pairingProof,
  parsePairingProof,
} from '../../../src/secure/pairing-proof.js';
import { check, decodes, type FuzzTarget } from '../target.js';

const NOW = Date.UTC(2026, 11, 3);
const ownError = isPairingCodeError;
const SECRET = new Uint8Array(16).fill(3);
const CLIENT_DH = new Uint8Array(32).fill(8);
const CLIENT_ED = new Uint8Array(32).fill(9);

const code = (): string =>
  encodePairingCode({
    home: { edPublic: new Uint8Array(32).fill(1), dhPublic: new Uint8Array(32).fill(2) },
    rendezvous: { ip: '198.51.100.1', port: 443 },
    secret: SECRET,
    expiresAt: NOW + 600_000,
  });
const proof = (name: string): Uint8Array =>
  pairingProof({ dhPublic: CLIENT_DH, edPublic: CLIENT_ED }, '0011223344556677', SECRET, name);

export const target: FuzzTarget = {
  name: 'phone-pairing',
  about:
    'src/phone/pair-link.ts codeFrom (QR URL / pasted code), src/secure/pairing-proof.ts parsePairingProof',
  sources: ['src/phone/pair-link.ts', 'src/secure/pairing-proof.ts'],
  maxLen: 512,
  seeds: () => [
    Buffer.from(`\0https://rv.example.net/#pair=${code()}`),
    Buffer.from(`\0https://rv.example.net/app?x=1#pair=${encodeURIComponent(code())}&y`),
    Buffer.from(`\0  ${code().toLowerCase()} `),
    Buffer.concat([Buffer.from([1]), proof('')]),
    Buffer.concat([Buffer.from([1]), proof("Anna's phone 📱")]),
    Buffer.from(`\x02${'A'.repeat(43)}.${'b'.repeat(86)}`),
    Buffer.from(
      '\x02<!doctype html><link rel="stylesheet" href="/assets/style-X1.css"><script type="module" src="/assets/app-C2BV26ZT.js"></script>',
    ),
  ],
  fuzz(data) {
    const body = data.subarray(1);
    const mode = (data[0] ?? 0) % 3;
    if (mode === 2) {
      // The pairing URL's `?app=DIGEST.SIGNATURE` (src/phone/pin.ts), and the shell's HTML.
      const pin = decodes(() => parseAppParam(body.toString('utf8')));
      if (pin)
        check(pin.sig.length === 64 && !verifyPin(pin, CLIENT_ED), 'a forged app pin verified');
      check((decodes(() => shellAssets(body.toString('utf8'))) ?? []).length <= 2, 'shell assets');
      return;
    }
    if (mode === 0) {
      const c = decodes(() => codeFrom(body.toString('utf8'), NOW), ownError);
      if (c) check(c.expiresAt > NOW, 'an expired code was accepted');
      return;
    }
    const claim = decodes(() => parsePairingProof(body, CLIENT_DH));
    if (!claim) return;
    check(claim.codeId.length === 16 && claim.clientEd.length === 32, 'claim fields');
    if (claim.name !== undefined)
      check(Buffer.byteLength(claim.name) <= MAX_CLIENT_NAME && claim.name.length > 0, 'name');
    const made = Buffer.from(proof(claim.name ?? ''));
    // It verifies with the secret exactly when it is, byte for byte, the proof made with it.
    const same =
      Buffer.from(claim.clientEd).equals(CLIENT_ED) &&
      body.subarray(40, 72).equals(made.subarray(40, 72));
    check(claim.verify(SECRET) === same, 'verify() disagrees with the mac');
  },
};
