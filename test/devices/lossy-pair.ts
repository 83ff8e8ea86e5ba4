// An in-memory message channel pair on a fake clock that loses, duplicates and reorders
// messages, driven by a seeded random source (so a failing run replays exactly).
import type { Clock, Random } from '../../src/net/types.js';
import type { MessageChannel } from '../../src/net/channel.js';
import type { FakeClock } from '../support/fakes.js';

export interface LossyOptions {
  /** Probability that one message is lost. */
  loss: number;
  /** Probability that a delivered message arrives twice. */
  dup: number;
  /** Each copy is delayed 1..maxDelayMs ms, independently (so messages reorder). */
  maxDelayMs: number;
}

export interface LossyPair {
  client: MessageChannel;
  home: MessageChannel;
  /** Drops everything in a direction while set ("ab" = client to home). */
  cut: { ab: boolean; ba: boolean };
  /** Optional extra filter: return false to drop. */
  filter?: (data: Uint8Array, dir: 'ab' | 'ba') => boolean;
  stats: { sent: number; lost: number; duplicated: number };
}

export function lossyPair(clock: Clock, rng: Random, o: LossyOptions): LossyPair {
  const chance = (p: number): boolean => rng.int(1_000_000) < p * 1_000_000;
  const handlers: Array<Array<(d: Uint8Array) => void>> = [[], []];
  const pair: LossyPair = {
    cut: { ab: false, ba: false },
    stats: { sent: 0, lost: 0, duplicated: 0 },
  } as LossyPair;
  const mk = (me: 0 | 1): MessageChannel => ({
    send(data) {
      const dir = me === 0 ? 'ab' : 'ba';
      pair.stats.sent++;
      if (pair.cut[dir] || pair.filter?.(data, dir) === false || chance(o.loss)) {
        pair.stats.lost++;
        return;
      }
      const copy = Uint8Array.from(data);
      const copies = chance(o.dup) ? 2 : 1;
      if (copies === 2) pair.stats.duplicated++;
      for (let i = 0; i < copies; i++) {
        clock.setTimer(1 + rng.int(o.maxDelayMs), () => {
          for (const h of handlers[me === 0 ? 1 : 0] ?? []) h(copy);
        });
      }
    },
    onMessage: (cb) => void handlers[me]?.push(cb),
    close() {},
  });
  pair.client = mk(0);
  pair.home = mk(1);
  return pair;
}

/** Lets fake time run (in 10 ms steps) while a promise settles. */
export async function settle<T>(clock: FakeClock, p: Promise<T>, ms = 30_000): Promise<T> {
  let done = false;
  const out = p.finally(() => (done = true));
  out.catch(() => {}); // handled by the caller; not "unhandled" while time runs
  for (let t = 0; t < ms && !done; t += 10) {
    clock.advance(10);
    await new Promise((r) => setImmediate(r));
  }
  return out;
}

/** Runs fake time for `ms`, letting promise callbacks run between steps. */
export async function runFor(clock: FakeClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 10) {
    clock.advance(10);
    await new Promise((r) => setImmediate(r));
  }
}
