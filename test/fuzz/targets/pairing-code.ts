// Pairing codes typed or scanned by a person (src/secure/pairing-code.ts). Two shapes of input:
// first byte even — the text as typed; odd — a code body that gets a valid checksum, so the
// fuzzer gets past the checksum into the fields. decodePairingCode() returns a code or throws a
// PortholeError of its own kinds; a code it accepts encodes back to the same code.
import {
  decodePairingCode,
  encodePairingCode,
  isPairingCodeError,
} from '../../../src/secure/pairing-code.js';
import { base32Encode } from '../../../src/secure/base32.js';
import { createHash } from 'node:crypto';
import { check, decodes, sameValue, type FuzzTarget } from '../target.js';

const NOW = Date.UTC(2026, 11, 3);
const ownError = isPairingCodeError;

function withChecksum(body: Uint8Array): string {
  const sum = createHash('sha256').update(body).digest().subarray(0, 4);
  return 'PH1-' + base32Encode(new Uint8Array([...body, ...sum])).toUpperCase();
}

export const target: FuzzTarget = {
  name: 'pairing-code',
  about: 'src/secure/pairing-code.ts decodePairingCode() (typed or scanned codes)',
  sources: ['src/secure/pairing-code.ts'],
  maxLen: 512,
  seeds: () => {
    const code = encodePairingCode({
      home: { edPublic: new Uint8Array(32).fill(1), dhPublic: new Uint8Array(32).fill(2) },
      rendezvous: { ip: '198.51.100.1', port: 7000 },
      secret: new Uint8Array(16).fill(3),
      expiresAt: NOW + 600_000,
    });
    const v6 = encodePairingCode({
      home: { edPublic: new Uint8Array(32).fill(4), dhPublic: new Uint8Array(32).fill(5) },
      rendezvous: { ip: '2001:db8::1', port: 443 },
      secret: new Uint8Array(16).fill(6),
      expiresAt: NOW + 600_000,
    });
    return [Buffer.from('\0' + code), Buffer.from('\0' + v6.toLowerCase())];
  },
  fuzz(data) {
    const text =
      (data[0] ?? 0) % 2 === 0 ? data.subarray(1).toString('utf8') : withChecksum(data.subarray(1));
    const c = decodes(() => decodePairingCode(text, NOW), ownError);
    if (!c) return;
    check(c.expiresAt > NOW, 'an expired code was accepted');
    const again = decodePairingCode(encodePairingCode(c), NOW);
    sameValue(again, c, 'pairing code');
  },
};
