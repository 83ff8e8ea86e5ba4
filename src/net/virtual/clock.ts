// Virtual time for the simulated network: a binary heap of events ordered by (time, insertion).
// run() processes events synchronously, so a 2-second connect costs microseconds of real time
// and the same seed always gives the same order of events.
//
// Packets in flight are events too, and there are many (a birthday punch is ~1,000 per trial), so
// a packet event carries its target and packet in fields instead of a fresh closure, and the
// event object itself is the timer handle.
import type { Clock, TimerHandle } from '../types.js';
import type { Downstream, Packet, Upstream } from './packet.js';

class Event implements TimerHandle {
  live = true;
  constructor(
    readonly at: number,
    readonly seq: number,
    /** A timer's callback; undefined for a packet event. */
    readonly fn: (() => void) | undefined,
    /** A packet event's receiver: `fromInside` when `outward`, `fromOutside` otherwise. */
    readonly node: Upstream | Downstream | undefined,
    readonly outward: boolean,
    readonly packet: Packet | undefined,
  ) {}

  cancel(): void {
    this.live = false;
  }

  fire(): void {
    if (this.fn) return this.fn();
    if (this.outward) (this.node as Upstream).fromInside(this.packet as Packet);
    else (this.node as Downstream).fromOutside(this.packet as Packet);
  }
}

const before = (a: Event, b: Event): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/** The virtual wall clock's start (a fixed instant: seeded runs stay identical). */
export const VIRTUAL_EPOCH_MS = Date.UTC(2026, 0, 1);

export class VirtualClock implements Clock {
  private t = 0;
  private seq = 0;
  private readonly heap: Event[] = [];
  /** Events processed so far (for benchmarks). */
  processed = 0;

  /** `epochMs`: what wallNow() says at virtual time 0. */
  constructor(private readonly epochMs = VIRTUAL_EPOCH_MS) {}

  now(): number {
    return this.t;
  }

  wallNow(): number {
    return this.epochMs + this.t;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    return this.push(new Event(this.at(ms), this.seq++, fn, undefined, false, undefined));
  }

  /** Hands `p` to `node.fromInside` after `ms` (a packet travelling towards the internet). */
  sendUp(ms: number, node: Upstream, p: Packet): void {
    this.push(new Event(this.at(ms), this.seq++, undefined, node, true, p));
  }

  /** Hands `p` to `node.fromOutside` after `ms` (a packet travelling towards a host). */
  sendDown(ms: number, node: Downstream, p: Packet): void {
    this.push(new Event(this.at(ms), this.seq++, undefined, node, false, p));
  }

  /** Runs events until none is left, `stop()` returns true, or time would pass `until`. */
  run(until = Infinity, stop?: () => boolean): void {
    const h = this.heap;
    while (h.length > 0 && !(stop && stop())) {
      const top = h[0] as Event;
      if (top.at > until) break;
      this.pop();
      if (!top.live) continue;
      this.t = top.at;
      this.processed++;
      top.fire();
    }
    if (until !== Infinity && this.t < until && !(stop && stop())) this.t = until;
  }

  /** Runs every event due up to virtual time `t`, then sets the clock to `t`. */
  runUntil(t: number): void {
    this.run(t);
  }

  /** Events queued, including cancelled timers not yet reached. */
  get pending(): number {
    return this.heap.length;
  }

  private at(ms: number): number {
    return ms > 0 ? this.t + ms : this.t;
  }

  private push(ev: Event): Event {
    const h = this.heap;
    let i = h.length;
    h.push(ev);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p] as Event;
      if (!before(ev, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = ev;
    return ev;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop() as Event;
    const n = h.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && before(h[r] as Event, h[l] as Event)) c = r;
      const child = h[c] as Event;
      if (!before(child, last)) break;
      h[i] = child;
      i = c;
    }
    h[i] = last;
  }
}
