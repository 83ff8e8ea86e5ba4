/** A namer for a protocol's result-code table: the code's name, or "result N" when unknown. */
export function resultNamer(table: Readonly<Record<string, number>>): (code: number) => string {
  const names = new Map(Object.entries(table).map(([k, v]) => [v, k]));
  return (code) => names.get(code) ?? `result ${code}`;
}
