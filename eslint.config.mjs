// Type-aware lint: no-floating-promises matters in async network code.
import tseslint from 'typescript-eslint';
import { layersConfig, neutralConfig } from './eslint.layers.mjs';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'bin/**',
      'scripts/**',
      'eslint.config.mjs',
      'eslint.layers.mjs',
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test()/describe() return promises the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  // Import cycles and imports against the layer order fail the lint (eslint.layers.mjs).
  layersConfig(),
  // The code the phone's page shares with Node stays platform-neutral (issue 18).
  neutralConfig(),
);
