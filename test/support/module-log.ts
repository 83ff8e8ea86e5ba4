// `node --import …/module-log.js`: records every module the process loads into the file named by
// PORTHOLE_MODULE_LOG, one URL or path a line — ES modules through a load hook, CommonJS modules
// (also those loaded by require() inside a package) from the require cache at exit. The lazy-load
// test (test/cli/lazy-load.test.ts) reads it.
import { appendFileSync } from 'node:fs';
import * as mod from 'node:module';

const file = process.env.PORTHOLE_MODULE_LOG;
if (file) {
  type LoadHook = (
    url: string,
    context: unknown,
    next: (url: string, context: unknown) => unknown,
  ) => unknown;
  const registerHooks = (mod as { registerHooks?: (h: { load: LoadHook }) => void }).registerHooks;
  if (registerHooks) {
    // Node ≥ 22.15: in-thread hooks, which also see require().
    registerHooks({
      load: (url, context, next) => {
        appendFileSync(file, url + '\n');
        return next(url, context);
      },
    });
  } else {
    mod.register(new URL('./module-log-hooks.js', import.meta.url));
  }
  const cache = mod.createRequire(import.meta.url).cache;
  process.on('exit', () => appendFileSync(file, Object.keys(cache).join('\n') + '\n'));
}
