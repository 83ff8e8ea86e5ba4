// The pairing code in a QR URL or pasted text (src/phone/pair-link.ts). A link with a broken
// %-escape threw a URIError ("URI malformed", shown to the person as the reason) — found by the
// fuzz target phone-pairing; it is now read as it stands and refused as a garbled code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPortholeError } from '../../src/errors.js';
import { codeFrom } from '../../src/phone/pair-link.js';
import { encodePairingCode } from '../../src/secure/pairing-code.js';

const NOW = Date.UTC(2026, 11, 3);
const code = encodePairingCode({
  home: { edPublic: new Uint8Array(32).fill(1), dhPublic: new Uint8Array(32).fill(2) },
  rendezvous: { ip: '198.51.100.1', port: 443 },
  secret: new Uint8Array(16).fill(3),
  expiresAt: NOW + 600_000,
});

test('pair link: the code from a QR URL, an escaped URL, or pasted text', () => {
  for (const text of [
    `https://rv.example.net/#pair=${code}`,
    `https://rv.example.net/#pair=${encodeURIComponent(code)}&x=1`,
    `  ${code.toLowerCase()}`,
  ])
    assert.equal(codeFrom(text, NOW).expiresAt, NOW + 600_000, text);
});

test('pair link: a broken %-escape is refused as a pairing code, not a URIError', () => {
  for (const text of ['https://x/#pair=%E0%A4%A', '#pair=PH1-%', '%ZZ'])
    assert.throws(
      () => codeFrom(text, NOW),
      (e: unknown) => isPortholeError(e) && ['not-a-code', 'code-garbled'].includes(e.kind),
      text,
    );
});
