// Bounded retransmission of one request until it is acknowledged.
import type { Clock, TimerHandle } from './types.js';

export interface RetransmitOptions {
  /** First retransmission delay (ms); doubles each time up to maxRtoMs. */
  rtoMs: number;
  maxRtoMs: number;
  /** Total sends including the first. */
  maxSends: number;
}

export const DEFAULT_RETRANSMIT: RetransmitOptions = { rtoMs: 250, maxRtoMs: 2000, maxSends: 6 };

/**
 * Calls `send` now and again after each timeout until `ack()` or `cancel()` is called or the
 * send budget is spent, then calls `onGiveUp` once.
 */
export class Retransmitter {
  private timer: TimerHandle | undefined;
  private sends = 0;
  private done = false;

  constructor(
    private readonly clock: Clock,
    private readonly opts: RetransmitOptions,
    private readonly send: (attempt: number) => void,
    private readonly onGiveUp: () => void,
  ) {}

  start(): this {
    this.fire(this.opts.rtoMs);
    return this;
  }

  private fire(rto: number): void {
    if (this.done) return;
    if (this.sends >= this.opts.maxSends) {
      this.done = true;
      this.onGiveUp();
      return;
    }
    this.sends++;
    this.send(this.sends);
    this.timer = this.clock.setTimer(rto, () => this.fire(Math.min(rto * 2, this.opts.maxRtoMs)));
  }

  get sent(): number {
    return this.sends;
  }

  get active(): boolean {
    return !this.done;
  }

  /** Acknowledged: stop quietly. */
  ack(): void {
    this.cancel();
  }

  cancel(): void {
    this.done = true;
    this.timer?.cancel();
    this.timer = undefined;
  }
}
