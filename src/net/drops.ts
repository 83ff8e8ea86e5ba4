// The one drop counter: every datagram or packet something did not act on, by reason (roles,
// and every part of one virtual world).
/** Bounded: reasons are fixed strings. */
export class DropCounter {
  readonly byReason = new Map<string, number>();
  total = 0;

  count(reason: string): void {
    this.total++;
    this.byReason.set(reason, (this.byReason.get(reason) ?? 0) + 1);
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries(this.byReason);
  }
}
