// The real-world Env: wall clock, crypto randomness, node:dgram — or, for the home and the client
// (`udx`), UDX sockets (net/udx-udp.ts), so forwarded streams run on the punched socket itself.
import { randomBytes, randomInt } from 'node:crypto';
import { nodeUdp } from './node-udp.js';
import { udxUdp } from './udx-udp.js';
import type { Clock, Env, Logger, Random } from './types.js';

export const realClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(t) };
  },
};

export const cryptoRandom: Random = {
  int: (max) => (max <= 1 ? 0 : randomInt(max)),
  bytes: (n) => new Uint8Array(randomBytes(n)),
};

export function realEnv(log: Logger, opts: { udx?: boolean } = {}): Env {
  const net = opts.udx && process.env.PORTHOLE_UDX_SOCKETS !== '0' ? udxUdp : nodeUdp;
  return { net, clock: realClock, rng: cryptoRandom, log };
}
