// The phone's secure channel (src/phone/link.ts: noise-frames.ts over the @noble IK initiator and
// ChaCha20-Poly1305 of src/secure/noise-ik.ts) against a home running noise-handshake, fed forged
// frames on a live session: see ../noise-session.ts.
import { initiatorChannel, PROLOGUE } from '../../../src/secure/noise-frames.js';
import { nobleIkInitiator } from '../../../src/secure/noise-ik.js';
import { liveSession } from '../noise-session.js';
import type { FuzzTarget } from '../target.js';

const session = liveSession((transport, phone, home, clock) =>
  initiatorChannel(
    transport,
    nobleIkInitiator(
      { publicKey: phone.dhPublic, secretKey: phone.dhSecret },
      home.dhPublic,
      PROLOGUE,
    ),
    { clock, payload: new TextEncoder().encode('proof') },
  ),
);

export const target: FuzzTarget = {
  name: 'noise-phone',
  about: "the phone's Noise channel (noise-frames.ts + @noble noise-ik.ts) fed to a live session",
  sources: ['src/secure/noise-frames.ts', 'src/secure/noise-ik.ts'],
  maxLen: 4096,
  seeds: session.seeds,
  fuzz: session.fuzz,
};
