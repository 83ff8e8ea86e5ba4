// A round's timers and its method's pacing, ended together when the round ends (a new round, a
// failure or a win), so nothing of an old round fires into the next one.
import type { Paced } from '../net/pacer.js';
import type { Clock, TimerHandle } from '../net/types.js';

export class RoundTimers {
  private timers: TimerHandle[] = [];
  /** The running method of this round (its paced sends). */
  method: Paced | undefined;

  constructor(private readonly clock: Clock) {}

  add(ms: number, fn: () => void): void {
    this.timers.push(this.clock.setTimer(ms, fn));
  }

  /** `count` calls of `fn` spread evenly over `overMs` (the first at once). */
  spread(count: number, overMs: number, fn: () => void): void {
    const spacing = overMs / Math.max(1, count);
    for (let i = 0; i < count; i++) this.add(i * spacing, fn);
  }

  /** Ends the round's timers and its method's pacing. */
  clear(): void {
    for (const t of this.timers) t.cancel();
    this.timers = [];
    this.method?.cancel();
    this.method = undefined;
  }
}
