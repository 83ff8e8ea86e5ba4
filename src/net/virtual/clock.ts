// Virtual time for the simulated network: a binary heap of events ordered by (time, insertion).
// run() processes events synchronously, so a 2-second connect costs microseconds of real time
// and the same seed always gives the same order of events.
import type { Clock, TimerHandle } from '../types.js';

interface Event {
  at: number;
  seq: number;
  fn: () => void;
  live: boolean;
}

export class VirtualClock implements Clock {
  private t = 0;
  private seq = 0;
  private heap: Event[] = [];
  /** Events processed so far (for benchmarks). */
  processed = 0;

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const ev: Event = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, live: true };
    this.push(ev);
    return { cancel: () => void (ev.live = false) };
  }

  /** Runs events until none is left, `stop()` returns true, or time would pass `until`. */
  run(until = Infinity, stop: () => boolean = () => false): void {
    while (this.heap.length > 0 && !stop()) {
      const top = this.heap[0] as Event;
      if (top.at > until) break;
      this.pop();
      if (!top.live) continue;
      this.t = top.at;
      this.processed++;
      top.fn();
    }
    if (until !== Infinity && this.t < until && !stop()) this.t = until;
  }

  get pending(): number {
    return this.heap.length;
  }

  private less(a: Event, b: Event): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(ev: Event): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i] as Event, h[p] as Event)) break;
      [h[i], h[p]] = [h[p] as Event, h[i] as Event];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop() as Event;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l] as Event, h[m] as Event)) m = l;
      if (r < h.length && this.less(h[r] as Event, h[m] as Event)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m] as Event, h[i] as Event];
      i = m;
    }
  }
}
