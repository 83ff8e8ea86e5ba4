// A lock between processes that build the same cache (the HA venv, the previous release): a
// directory made atomically by mkdir. A lock older than `staleMs` is taken over (its holder died);
// a waiter gives up after `staleMs` too. Plain Node with no dependencies.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';

export function takeLock(lock, staleMs, pollSeconds = 1) {
  for (const start = Date.now(); ;) {
    try {
      mkdirSync(lock);
      return;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      if (Date.now() - statSync(lock).mtimeMs > staleMs) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() - start > staleMs) throw new Error(`lock ${lock} held too long`);
      spawnSync('sleep', [String(pollSeconds)]);
    }
  }
}
