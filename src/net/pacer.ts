// Paced batches: `step(i)` for i = 0..total-1, `batch` at a time, `paceMs` apart (cheap routers
// and the OS drop bursts). The owner's `alive()` is checked before every batch, so a batch never
// runs after its owner closed, and cancel() stops the next one.
import type { Clock, TimerHandle } from './types.js';

export interface PaceOptions {
  batch: number;
  paceMs: number;
}

export interface Paced {
  /** Stop: no further batch runs and `done` is not called. */
  cancel(): void;
  readonly finished: boolean;
}

/**
 * Runs the first batch now. `done` is called once, right after the last step. Steps may open
 * sockets or set their own timers; the pacing timer is set after the batch's steps.
 */
export function pace(
  clock: Clock,
  o: PaceOptions,
  total: number,
  step: (i: number) => void,
  alive: () => boolean,
  done: () => void = () => {},
): Paced {
  let i = 0;
  let timer: TimerHandle | undefined;
  let stopped = false;
  let finished = false;
  const batch = (): void => {
    timer = undefined;
    if (stopped || !alive()) return;
    const end = Math.min(total, i + Math.max(1, o.batch));
    for (; i < end; i++) step(i);
    if (i < total) timer = clock.setTimer(o.paceMs, batch);
    else {
      finished = true;
      done();
    }
  };
  batch();
  return {
    cancel() {
      stopped = true;
      timer?.cancel();
      timer = undefined;
    },
    get finished() {
      return finished;
    },
  };
}
