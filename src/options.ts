/** Drop keys whose value is undefined so they don't override defaults when spreading. */
export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Merge user options over defaults, ignoring undefined values. */
export function withDefaults<C extends object>(defaults: C, opts: Partial<C>): C {
  return { ...defaults, ...stripUndefined(opts) };
}
