// The registry of fuzz targets: every module in test/fuzz/targets/ exporting `target`. Adding a
// target is one file there (docs/fuzzing.md, "Adding a target"); both runners and the seed
// recorder pick it up by itself.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FuzzTarget } from './target.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root, from dist/test/fuzz/ (compiled) or test/fuzz/ (tsx). */
export const ROOT = here.includes(`${join('dist', 'test')}`)
  ? join(here, '..', '..', '..')
  : join(here, '..', '..');
export const CORPUS_DIR = join(ROOT, 'test', 'fuzz', 'corpus');

export async function loadTargets(only: readonly string[] = []): Promise<FuzzTarget[]> {
  const dir = join(here, 'targets');
  const files = readdirSync(dir)
    .filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts'))
    .sort();
  const targets: FuzzTarget[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { target?: FuzzTarget };
    if (!mod.target) throw new Error(`test/fuzz/targets/${f} exports no \`target\``);
    if (targets.some((t) => t.name === mod.target?.name))
      throw new Error(`two fuzz targets are named ${mod.target.name}`);
    targets.push(mod.target);
  }
  const unknown = only.filter((n) => !targets.some((t) => t.name === n));
  if (unknown.length)
    throw new Error(
      `no fuzz target ${unknown.join(', ')} (have: ${targets.map((t) => t.name).join(', ')})`,
    );
  return only.length ? targets.filter((t) => only.includes(t.name)) : targets;
}

/** The committed corpus of a target: seeds and regression inputs, sorted by file name. */
export function corpusOf(name: string): Array<{ file: string; data: Buffer }> {
  const dir = join(CORPUS_DIR, name);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((file) => ({ file, data: readFileSync(join(dir, file)) }));
}
