// Process-level helpers shared by the long-running commands.

/** Runs `stop` once on SIGINT/SIGTERM, then exits 0 (after its promise, at most 4 s). */
export function onShutdown(stop: () => void | Promise<void>): void {
  let stopping = false;
  const handler = (): void => {
    if (stopping) return;
    stopping = true;
    const exit = (): never => process.exit(0);
    setTimeout(exit, 4000).unref();
    void Promise.resolve(stop()).then(exit, exit);
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}

/** Runs `reload` on each SIGHUP, one at a time (a SIGHUP during a reload runs it once more). */
export function onReload(reload: () => Promise<void>): void {
  let running: Promise<void> | undefined;
  let again = false;
  process.on('SIGHUP', () => {
    if (running) return void (again = true);
    const loop = async (): Promise<void> => {
      do {
        again = false;
        await reload().catch((e: Error) =>
          process.stderr.write(`porthole: reload: ${e.message}\n`),
        );
      } while (again);
      running = undefined;
    };
    running = loop();
  });
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
