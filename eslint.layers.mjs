// The layer order of src/, enforced: a folder may import its own layer and the layers below it,
// never a layer above, and no module may import itself back through a cycle. Shared by
// eslint.config.mjs and test/lint/layers.test.ts (which proves both rules fire).
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

/** Lowest first. errors.ts sits below everything; tests, benches and the lab are free. */
export const LAYERS = [
  ['wire', 'errors.ts', 'options.ts'],
  ['net'],
  ['util', 'secure', 'punch', 'discovery', 'devices', 'portmap', 'ops', 'ui', 'streams', 'relay'],
  ['rendezvous', 'home', 'client', 'phone'],
  ['app'],
  ['sim'],
  ['cli'],
];

/** No-restricted-paths zones per layer: its folders may not import any folder above it. */
export function layerZones(srcDir = './src') {
  return LAYERS.slice(0, -1).flatMap((layer, i) => {
    const target = layer.map((f) => `${srcDir}/${f}`);
    const message = `layer order (eslint.layers.mjs): ${layer.join('/')} may not import a higher layer`;
    const above = LAYERS.slice(i + 1).flat();
    return [{ target, from: above.map((f) => `${srcDir}/${f}`), message }];
  });
}

/** The config block: `files` defaults to src/; the test points it at a temporary tree. */
export function layersConfig({ files = ['src/**/*.ts'], srcDir = './src', basePath } = {}) {
  return {
    files,
    plugins: { 'import-x': importX },
    settings: {
      // Parse .ts dependencies too (import-x skips unknown extensions when walking the graph).
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      // `./x.js` in a .ts file means `./x.ts` (NodeNext).
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.js', '.mjs', '.json', '.node'],
          extensionAlias: { '.js': ['.ts', '.js'] },
        }),
      ],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': [
        'error',
        { zones: layerZones(srcDir), ...(basePath ? { basePath } : {}) },
      ],
    },
  };
}

/**
 * Platform-neutral code (issue 18): the wire codec, the Noise framing, the device-call client and
 * what they stand on run in Node and in the phone's browser (src/phone/ bundles them). No `node:`
 * module, no Node-only package, no Buffer: Uint8Array and wire/bytes.ts instead.
 */
export const NEUTRAL = [
  'src/wire/**/*.ts',
  'src/errors.ts',
  'src/net/types.ts',
  'src/net/channel.ts',
  'src/net/path.ts',
  'src/net/retransmit.ts',
  'src/net/roam.ts',
  'src/net/tx-ids.ts',
  'src/secure/noise-frames.ts',
  'src/secure/noise-ik.ts',
  'src/secure/replay-window.ts',
  'src/secure/neutral-auth.ts',
  'src/secure/pairing-code.ts',
  'src/secure/pairing-proof.ts',
  'src/secure/base32.ts',
  'src/devices/model.ts',
  'src/devices/rpc-wire.ts',
  'src/devices/rpc-client.ts',
  'src/devices/liveness.ts',
  'src/phone/**/*.ts',
  'src/ui/**/*.ts',
];

/** Bare builtins and Node-only packages, by exact name (patterns would also match ../net/…). */
const NODE_ONLY = ['fs', 'net', 'dgram', 'crypto', 'os', 'path', 'buffer', 'child_process'];
const NODE_PACKAGES = ['noise-handshake', 'ws', 'pino', 'hono'];

export function neutralConfig({ files = NEUTRAL } = {}) {
  const message = 'platform-neutral file (eslint.layers.mjs NEUTRAL): it also runs in the browser';
  return {
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...NODE_ONLY, ...NODE_PACKAGES].map((name) => ({ name, message })),
          patterns: [{ group: ['node:*', 'noise-handshake/*', 'hono/*'], message }],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'Buffer', message },
        { name: 'process', message },
        { name: 'require', message },
      ],
    },
  };
}
