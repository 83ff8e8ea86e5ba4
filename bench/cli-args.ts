// Arguments of the bench and lab entry points: `--help` prints the usage; a bad option or value
// ends with one line saying what, and the usage (exit 2) — never a stack trace or a NaN table.
import { parseArgs, type ParseArgsConfig } from 'node:util';

function printUsage(usage: string, to: NodeJS.WriteStream): void {
  to.write(usage.endsWith('\n') ? usage : `${usage}\n`);
}

/** Prints the usage and exits 0 when asked (--help, -h). */
export function helpIfAsked(usage: string): void {
  const a = process.argv.slice(2);
  if (!a.includes('--help') && !a.includes('-h')) return;
  printUsage(usage, process.stdout);
  process.exit(0);
}

export function usageError(usage: string, why: string): never {
  process.stderr.write(`${why}\n`);
  printUsage(usage, process.stderr);
  process.exit(2);
}

/** node:util parseArgs, with --help and one-line errors. */
export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(
  options: T,
  usage: string,
): ReturnType<typeof parseArgs<{ options: T }>>['values'] {
  helpIfAsked(usage);
  try {
    return parseArgs({ options }).values;
  } catch (e) {
    return usageError(usage, (e as Error).message);
  }
}

/** The positional count at `index` (0 = the first): a positive integer, else the default. */
export function countArg(index: number, fallback: number, usage: string): number {
  helpIfAsked(usage);
  const raw = process.argv[2 + index];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) usageError(usage, `not a positive whole number: ${raw}`);
  return n;
}
