// Token buckets keyed by source IP, home id or client key, in a bounded map: a flood of new keys
// evicts the least recently used buckets instead of growing memory.
export interface RateLimitOptions {
  /** Tokens added per second. */
  ratePerSec: number;
  burst: number;
  maxKeys: number;
}

export class RateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();
  limited = 0;

  constructor(private readonly o: RateLimitOptions) {}

  /** Takes `n` tokens (default one) for `key`; false (nothing taken) when it is over its rate. */
  take(key: string, now: number, n = 1): boolean {
    let b = this.buckets.get(key);
    if (b) {
      this.buckets.delete(key);
      b.tokens = Math.min(this.o.burst, b.tokens + ((now - b.at) / 1000) * this.o.ratePerSec);
      b.at = now;
    } else {
      if (this.buckets.size >= this.o.maxKeys) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      b = { tokens: this.o.burst, at: now };
    }
    this.buckets.set(key, b);
    if (b.tokens < n) {
      this.limited++;
      return false;
    }
    b.tokens -= n;
    return true;
  }
}
