#!/usr/bin/env node
// Thin launcher: the CLI is compiled TypeScript in dist/ (built by `npm run setup`).
import { existsSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write(
    'porthole: not built yet. Run `npm run setup` in the project folder first.\n',
  );
  process.exit(2);
}
// Node ≥ 22.1 keeps the compiled code of the CLI's modules on disk (in the temp dir; off with
// NODE_DISABLE_COMPILE_CACHE=1): later starts skip most parsing. Node 20 has no such cache.
module.enableCompileCache?.();
await import(main.href);
