// Sliding anti-replay window over explicit datagram counters (as in IPsec/WireGuard): accepts
// each counter at most once, and nothing older than `size` behind the highest seen.
export class ReplayWindow {
  private highest = -1;
  private readonly bits: Uint8Array;

  constructor(private readonly size = 1024) {
    this.bits = new Uint8Array(size);
  }

  /** The highest counter accepted so far (-1 before the first). */
  get newest(): number {
    return this.highest;
  }

  /** Would `n` be accepted? (Check before the costly decrypt; commit with `mark` after.) */
  check(n: number): boolean {
    if (n > this.highest) return true;
    if (this.highest - n >= this.size) return false;
    return this.bits[n % this.size] === 0;
  }

  mark(n: number): void {
    if (n > this.highest) {
      // Clear the slots the window slides past.
      const steps = Math.min(this.size, n - this.highest);
      for (let i = 1; i <= steps; i++) this.bits[(this.highest + i) % this.size] = 0;
      this.highest = n;
    }
    this.bits[n % this.size] = 1;
  }
}
