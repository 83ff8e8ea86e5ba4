// The fuzz-target contract (docs/fuzzing.md). A target feeds one decoder of untrusted bytes and
// checks what it promises: a typed value, or the module's own decode error — never a TypeError or
// RangeError from deep inside, never a hang, bounded memory — and for codecs that
// decode(encode(x)) gives x back. A broken promise throws ContractViolation, which both runners
// (the short run of `npm test` and jazzer in `npm run fuzz`) report as a finding.
import { isDeepStrictEqual } from 'node:util';

export interface FuzzTarget {
  /** Folder name under test/fuzz/corpus/ and the name `npm run fuzz -- NAME` takes. */
  readonly name: string;
  /** The decoder(s) fed, for docs and the runner's listing. */
  readonly about: string;
  /**
   * One execution: must return normally unless the contract is broken. A target whose decoder is
   * asynchronous (a library's promise chain) sets `async` and returns a promise that settles
   * within the execution: both runners await it (jazzer runs it without --sync).
   */
  fuzz(data: Buffer): void | Promise<void>;
  readonly async?: boolean;
  /** Representative valid inputs (recorded into the corpus by test/fuzz/record-seeds.ts). */
  seeds?(): Uint8Array[];
  /** The source files it exercises (repo paths): `npm run fuzz` reports their line coverage. */
  readonly sources?: readonly string[];
  /**
   * Library code jazzer should instrument too (path fragments, e.g. 'node_modules/xml2js/'),
   * where the parser fed is a dependency's: its edges then guide the long run.
   */
  readonly instrument?: readonly string[];
  /** Largest input worth trying (libFuzzer's -max_len); default 4096. */
  readonly maxLen?: number;
}

export class ContractViolation extends Error {
  override name = 'ContractViolation';
}

export function violated(what: string, cause?: unknown): never {
  throw new ContractViolation(what, cause === undefined ? undefined : { cause });
}

type ErrorTest = (new (...args: never[]) => Error) | ((e: unknown) => boolean);

/**
 * Runs `decode`; a throw is fine only when one of `allowed` accepts it (a class, or a predicate
 * such as isPortholeError). Anything else — TypeError, RangeError, a string — is a finding.
 */
export function decodes<T>(decode: () => T, ...allowed: ErrorTest[]): T | undefined {
  try {
    return decode();
  } catch (e) {
    if (e instanceof ContractViolation) throw e;
    const ok = allowed.some((t) =>
      isErrorClass(t) ? e instanceof t && e.constructor === t : t(e),
    );
    if (!ok) violated(`threw ${describe(e)} instead of a typed value or its own error`, e);
    return undefined;
  }
}

function isErrorClass(t: ErrorTest): t is new (...args: never[]) => Error {
  return t === Error || t.prototype instanceof Error;
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.constructor.name}: ${e.message}` : `a non-Error (${String(e)})`;
}

/** decode(encode(x)) must give x back. */
export function sameValue(again: unknown, first: unknown, what: string): void {
  if (!isDeepStrictEqual(plain(again), plain(first)))
    violated(`${what} does not round-trip: ${show(first)} came back as ${show(again)}`);
}

/** For JSON codecs: equal as JSON (where -0 and 0 are one number). */
export function sameJson(again: unknown, first: unknown, what: string): void {
  const a = JSON.stringify(again);
  const b = JSON.stringify(first);
  if (a !== b)
    violated(`${what} does not round-trip: ${b.slice(0, 300)} came back as ${a.slice(0, 300)}`);
}

/** Buffers as plain Uint8Arrays (a decoder fed a Buffer hands out Buffer views). */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object' && v !== null)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

export function check(cond: unknown, what: string): asserts cond {
  if (!cond) violated(what);
}

function show(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) =>
      x instanceof Uint8Array ? Buffer.from(x).toString('hex') : x,
    ).slice(0, 300);
  } catch {
    return String(v);
  }
}

/** Splits an input at its first newline: a text head (topic, name…) and a byte body. */
export function splitHead(data: Buffer): { head: string; body: Buffer } {
  const nl = data.indexOf(10);
  if (nl < 0) return { head: data.toString('utf8'), body: Buffer.alloc(0) };
  return { head: data.subarray(0, nl).toString('utf8'), body: data.subarray(nl + 1) };
}

/** A seed with a text head (see splitHead). */
export function headed(head: string, body: string | Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.from(head + '\n'), Buffer.from(body)]);
}
