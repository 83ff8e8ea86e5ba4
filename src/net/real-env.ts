// The real-world Env: wall clock, crypto randomness, node:dgram.
import { randomBytes, randomInt } from 'node:crypto';
import { nodeUdp } from './node-udp.js';
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

export function realEnv(log: Logger): Env {
  return { net: nodeUdp, clock: realClock, rng: cryptoRandom, log };
}
