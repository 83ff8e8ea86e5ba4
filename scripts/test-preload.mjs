// Loaded into every test file's process by scripts/run-tests.mjs (--import). A file whose tests
// have all finished but whose process stays alive (a socket, server, timer or child left open)
// would otherwise hold the whole suite until CI's time limit, printing nothing: node's runner
// reports files in order and waits for each process to exit. Here such a file gets a short grace,
// then names what it left open and exits, so the leak is visible and the suite goes on.
import { after } from 'node:test';

const GRACE_MS = 5000;
after(() => {
  setTimeout(() => {
    const left = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
    process.stdout.write(
      `# LEAK: ${process.argv[1]} stayed alive ${GRACE_MS / 1000} s after its tests ended; open: ${left.join(', ')}\n`,
    );
    process.exit(process.exitCode ?? 0);
  }, GRACE_MS).unref();
});
