/// <reference lib="dom" />
// The browser's Env pieces for the shared protocol code: a monotonic clock with timers and a
// crypto-strong Random (crypto.getRandomValues). The page's only clock and randomness.
import type { Clock, Random } from '../net/types.js';

export const browserClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
};

export const browserRandom: Random = {
  int(max) {
    const [x] = crypto.getRandomValues(new Uint32Array(1));
    return Math.floor(((x as number) / 0x100000000) * max);
  },
  bytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
};
