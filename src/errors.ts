// Failures as named, typed errors: code decides on `kind`, people read `message`, which is derived
// from the kind and its details in one place per room. Tests match on the kind, never the sentence.
// Each room declares its own kinds (a string union) and a factory that builds the text, e.g.
//
//   type ConnectErrorKind = 'unknown-home' | 'refused' | 'no-path' | …;
//   export const connectError = (kind: ConnectErrorKind, detail: {...}) =>
//     new PortholeError(kind, textFor(kind, detail), detail);

/** A failure with a machine-readable kind. `detail` carries what was learned (never secrets). */
export class PortholeError<K extends string = string> extends Error {
  override name = 'PortholeError';
  constructor(
    readonly kind: K,
    message: string,
    readonly detail: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

/** True when `err` is a PortholeError of one of the given kinds. */
export function isPortholeError<K extends string>(
  err: unknown,
  ...kinds: K[]
): err is PortholeError<K> {
  return err instanceof PortholeError && (kinds.length === 0 || kinds.includes(err.kind as K));
}
