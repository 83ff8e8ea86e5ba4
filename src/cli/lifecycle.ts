// Process-level helpers shared by the long-running commands.

/** Runs `stop` once on SIGINT/SIGTERM, then exits 0. */
export function onShutdown(stop: () => void): void {
  let stopping = false;
  const handler = (): void => {
    if (stopping) return;
    stopping = true;
    stop();
    process.exit(0);
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}

/** Prints one line on stderr and exits with `code` (2: usage, 1: runtime failure). */
export function die(message: string, code = 1): never {
  process.stderr.write(`porthole: ${message}\n`);
  process.exit(code);
}

/** Runs `fn`, turning state and code errors into one clear line and exit 1. */
export function orDie<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    return die((e as Error).message);
  }
}
