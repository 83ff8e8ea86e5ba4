// The layer and cycle rules fire: a temporary tree with a backwards import and a cycle is linted
// with the same rule block eslint.config.mjs uses, and the real config applies it to src/.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface LayersModule {
  layersConfig: (o?: { files?: string[]; srcDir?: string; basePath?: string }) => Linter.Config;
  neutralConfig: (o?: { files?: string[] }) => Linter.Config;
  NEUTRAL: string[];
}

const loadLayers = async (): Promise<LayersModule> =>
  (await import(pathToFileURL(join(ROOT, 'eslint.layers.mjs')).href)) as LayersModule;

/** Writes `files` under a fresh temporary dir; returns it. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-layers-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

test('a backwards import and an import cycle are lint errors', async () => {
  const { layersConfig } = await loadLayers();
  const dir = tree({
    // app (layer 4) importing cli (layer 6): backwards.
    'src/app/view.ts': "import { main } from '../cli/main.js';\nexport const view = main;\n",
    'src/cli/main.ts': 'export const main = 1;\n',
    // a cycle inside one layer.
    'src/home/a.ts': "import { b } from './b.js';\nexport const a = (): number => b();\n",
    'src/home/b.ts': "import { a } from './a.js';\nexport const b = (): number => a();\n",
    // allowed: home (3) importing wire (0); wire naming net/types is backwards like any other
    // upward import (SocketAddr lives in wire/socket-addr.ts, at the bottom).
    'src/home/ok.ts': "import { w } from '../wire/w.js';\nexport const ok = w;\n",
    'src/wire/w.ts': 'export const w = 1;\n',
    'src/wire/up.ts': "import type { T } from '../net/types.js';\nexport const up: T = 1;\n",
    'src/net/types.ts': 'export type T = number;\n',
  });
  try {
    const eslint = new ESLint({
      cwd: dir,
      overrideConfigFile: true,
      overrideConfig: [
        { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
        layersConfig({ files: ['src/**/*.ts'], srcDir: './src', basePath: dir }),
      ],
    });
    const results = await eslint.lintFiles(['src/**/*.ts']);
    const byFile = Object.fromEntries(
      results.map((r) => [
        r.filePath.slice(dir.length + 1),
        r.messages.map((m) => m.ruleId ?? m.message),
      ]),
    );
    assert.deepEqual(byFile['src/app/view.ts'], ['import-x/no-restricted-paths']);
    assert.deepEqual(byFile['src/wire/up.ts'], ['import-x/no-restricted-paths']);
    assert.deepEqual(byFile['src/home/a.ts'], ['import-x/no-cycle']);
    assert.deepEqual(byFile['src/home/b.ts'], ['import-x/no-cycle']);
    for (const ok of ['src/home/ok.ts', 'src/wire/w.ts', 'src/cli/main.ts'])
      assert.deepEqual(byFile[ok], [], ok);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('eslint.config.mjs applies both rules to src/', async () => {
  const eslint = new ESLint({ cwd: ROOT });
  const cfg = (await eslint.calculateConfigForFile(join(ROOT, 'src/app/session.ts'))) as {
    rules: Record<string, unknown[]>;
  };
  for (const rule of ['import-x/no-cycle', 'import-x/no-restricted-paths'])
    assert.equal(cfg.rules[rule]?.[0], 2, `${rule} is an error`);
});

test('platform-neutral files may not import node: modules or use Buffer (issue 18)', async () => {
  const { neutralConfig } = await loadLayers();
  const dir = tree({
    'src/wire/bad-import.ts': "import { isIP } from 'node:net';\nexport const f = isIP;\n",
    'src/wire/bad-bare.ts': "import { createHash } from 'crypto';\nexport const f = createHash;\n",
    'src/wire/bad-global.ts': 'export const f = (s: string): unknown => Buffer.from(s);\n',
    'src/wire/ok.ts': "import type { T } from './types.js';\nexport const ok: T = 1;\n",
    'src/wire/types.ts': 'export type T = number;\n',
  });
  try {
    const eslint = new ESLint({
      cwd: dir,
      overrideConfigFile: true,
      overrideConfig: [
        { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
        neutralConfig({ files: ['src/wire/**/*.ts'] }),
      ],
    });
    const results = await eslint.lintFiles(['src/**/*.ts']);
    const byFile = Object.fromEntries(
      results.map((r) => [r.filePath.slice(dir.length + 1), r.messages.map((m) => m.ruleId)]),
    );
    assert.deepEqual(byFile['src/wire/bad-import.ts'], ['no-restricted-imports']);
    assert.deepEqual(byFile['src/wire/bad-bare.ts'], ['no-restricted-imports']);
    assert.deepEqual(byFile['src/wire/bad-global.ts'], ['no-restricted-globals']);
    assert.deepEqual(byFile['src/wire/ok.ts'], []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('eslint.config.mjs applies the neutral rules to the shared protocol code', async () => {
  const eslint = new ESLint({ cwd: ROOT });
  for (const file of [
    'src/wire/codec.ts',
    'src/secure/noise-frames.ts',
    'src/devices/rpc-client.ts',
  ]) {
    const cfg = (await eslint.calculateConfigForFile(join(ROOT, file))) as {
      rules: Record<string, unknown[]>;
    };
    for (const rule of ['no-restricted-imports', 'no-restricted-globals'])
      assert.equal(cfg.rules[rule]?.[0], 2, `${rule} on ${file}`);
  }
});
