// Freshness for signed one-shot messages: a timestamp window plus a bounded cache of nonces seen
// inside it. An exact replay inside the window is caught by the cache; anything older is stale.
export class ReplayGuard {
  private seen = new Map<string, number>();

  constructor(
    private readonly windowMs = 120_000,
    private readonly maxEntries = 10_000,
  ) {}

  /** True (and remembered) if `nonce` at `time` is fresh; false for stale, future or replayed. */
  accept(nonce: string, time: number, now: number): boolean {
    if (Math.abs(now - time) > this.windowMs) return false;
    if (this.seen.has(nonce)) return false;
    if (this.seen.size >= this.maxEntries) this.sweep(now);
    if (this.seen.size >= this.maxEntries) {
      // Still full of fresh entries: drop the oldest rather than grow.
      const first = this.seen.keys().next().value;
      if (first !== undefined) this.seen.delete(first);
    }
    this.seen.set(nonce, time);
    return true;
  }

  private sweep(now: number): void {
    for (const [n, t] of this.seen) if (Math.abs(now - t) > this.windowMs) this.seen.delete(n);
  }
}
