// The secure channel's frames (src/secure/noise-channel.ts, noise-frames.ts) fed to a live
// session whose client is Node's (noise-handshake): see ../noise-session.ts.
import { secureClient } from '../../../src/secure/noise-channel.js';
import { liveSession } from '../noise-session.js';
import type { FuzzTarget } from '../target.js';

const session = liveSession((transport, phone, home, clock) =>
  secureClient(transport, {
    staticKeys: { publicKey: phone.dhPublic, secretKey: phone.dhSecret },
    remoteStatic: home.dhPublic,
    payload: Buffer.from('proof'),
    clock,
  }),
);

export const target: FuzzTarget = {
  name: 'noise-channel',
  about: 'src/secure/noise-channel.ts frames (handshake, data, refused) fed to a live session',
  sources: ['src/secure/noise-channel.ts', 'src/secure/noise-frames.ts'],
  maxLen: 4096,
  seeds: session.seeds,
  fuzz: session.fuzz,
};
